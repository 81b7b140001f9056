from django import forms
from django.utils.translation import gettext_lazy as _

from docregistry.registrations.forms import IdPrefixMixin


class ApproveForm(IdPrefixMixin, forms.Form):
    id_prefix = "approve"
    comment = forms.CharField(
        label=_("Institution opinion"),
        required=False,
        max_length=200,
        help_text=_("Printed on the review form; “同意” when left empty."),
        widget=forms.TextInput(attrs={"placeholder": "同意"}),
    )


class ReturnForm(IdPrefixMixin, forms.Form):
    id_prefix = "return"
    comment = forms.CharField(
        label=_("Reason for returning"),
        max_length=500,
        help_text=_("The physician reads this and corrects the application."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DepartureForm(forms.Form):
    """离岗报告: why and when the physician left (办法 art. 19)."""

    reason = forms.ChoiceField(label=_("Reason for leaving"))
    left_on = forms.DateField(
        label=_("Left on"), widget=DATE, help_text=_("Report within 30 days of the day the physician left.")
    )
    comment = forms.CharField(
        label=_("Note"), required=False, max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, **kwargs):
        from docregistry.registrations.register_models import InstitutionReport

        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("Choose")), *InstitutionReport.Reason.choices]


class CancellationReportForm(forms.Form):
    """注销报告: the statutory ground and the day it happened (办法 art. 18)."""

    ground = forms.ChoiceField(label=_("Legal ground"))
    occurred_on = forms.DateField(
        label=_("Date it happened"), widget=DATE, help_text=_("Report within 30 days of that day.")
    )
    comment = forms.CharField(
        label=_("Note"), required=False, max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, **kwargs):
        from docregistry.registrations.institution_reports import ground_choices_reported

        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = [("", _("Choose")), *ground_choices_reported()]


class PhysicianSearchForm(forms.Form):
    """在职医师: the start of a name, or of a practice certificate code."""

    q = forms.CharField(label=_("Name or certificate code"), required=False, max_length=30)
