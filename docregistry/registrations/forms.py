"""Forms shared by more than one portal.

``ApplicationSearchForm`` is the combinable search of the institution's
processing list and the authority's queue; its cleaned data goes straight to
``selectors.applications_filter``.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from docregistry.validators import normalize_id_number

from .models import Application

MSG_DATE_RANGE = _("The start date must not be after the end date.")


class IdPrefixMixin:
    """Forms that share a page render their ids with their own prefix (``approve_comment``); names stay as they are."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ApplicationSearchForm(forms.Form):
    """Any single condition or any combination; every field may stay empty."""

    name = forms.CharField(label=_("Name"), required=False, max_length=60)
    id_number = forms.CharField(label=_("ID number"), required=False, max_length=18)
    number = forms.CharField(label=_("Application number"), required=False, max_length=40)
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Any"))] + Application.Type.choices)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any"))] + Application.State.choices)
    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label=_("Submitted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, states=None, **kwargs):
        """``states``: the states this portal's user can ever see (the choice list offers only those)."""
        super().__init__(*args, **kwargs)
        if states is not None:
            self.fields["state"].choices = [("", _("Any"))] + [
                (value, label) for value, label in Application.State.choices if value in states
            ]

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_id_number(self):
        return normalize_id_number(self.cleaned_data["id_number"])

    def clean_number(self):
        return self.cleaned_data["number"].strip()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", MSG_DATE_RANGE)
        return cleaned

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())
