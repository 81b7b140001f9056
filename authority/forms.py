from django import forms
from django.utils.translation import gettext_lazy as _

from docregistry.registrations.checklists import checklist_choices
from docregistry.registrations.forms import (
    ApplicationSearchForm,  # noqa: F401 - the shared search
    IdPrefixMixin,
)
from docregistry.registrations.grounds import ground_choices
from docregistry.registrations.models import Authority, Institution, Region, Registration


class OpenByNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Application number"),
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": _("Scan the code on the review form or type the number"), "autofocus": True}
        ),
    )


class AcceptForm(IdPrefixMixin, forms.Form):
    """受理: nothing to fill in; the button and its confirmation are the decision."""

    id_prefix = "accept"


class ApproveForm(IdPrefixMixin, forms.Form):
    """The application's type's own paper checklist (``checklists.checklist_for``) and the opinion."""

    id_prefix = "approve"
    checklist = forms.MultipleChoiceField(
        label=_("Paper materials received"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    comment = forms.CharField(
        label=_("Authority opinion"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "同意注册"}),
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].choices = checklist_choices(application)
        self.fields["comment"].widget.attrs["placeholder"] = application.kind.opinion_zh


class ReturnForm(IdPrefixMixin, forms.Form):
    id_prefix = "return"
    comment = forms.CharField(label=_("Reason for returning"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class RefuseForm(IdPrefixMixin, forms.Form):
    id_prefix = "refuse"
    ground = forms.ChoiceField(
        label=_("Legal ground"), choices=lambda: [("", _("Choose the legal ground")), *ground_choices("refusal")]
    )
    comment = forms.CharField(
        label=_("Details"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class InstitutionForm(forms.ModelForm):
    class Meta:
        model = Institution
        fields = [
            "name",
            "registration_number",
            "address",
            "postcode",
            "region",
            "responsible_person",
            "mobile",
            "license_checked",
            "authorisation_checked",
            "entrusted_id_checked",
        ]

    def __init__(self, *args, prefix_code: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(code__startswith=prefix_code)
        for name in ("license_checked", "authorisation_checked", "entrusted_id_checked"):
            self.fields[name].required = True
        self.fields["mobile"].help_text = _("The one-time password is sent to this mobile by SMS.")


class WindowForm(forms.Form):
    starts_on = forms.DateField(label=_("Opens on"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Closes on"), widget=forms.DateInput(attrs={"type": "date"}))


class ReportForm(forms.Form):
    date_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Submitted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


# ---- The register ----------------------------------------------------------------


class RegisterSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or certificate code"), required=False, max_length=30)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=lambda: [("", _("Any")), *Registration.State.choices],
        widget=forms.Select(attrs={"aria-label": _("State"), "class": "form-select w-auto"}),  # beside the search box
    )


class RegisterDecisionForm(forms.Form):
    """Suspend, cancel or revoke: a statutory ground of the decision's kind, and the details."""

    ground = forms.ChoiceField(label=_("Legal ground"))
    comment = forms.CharField(
        label=_("Details"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = [("", "---------"), *ground_choices(kind)]


class SuspendForm(RegisterDecisionForm):
    until = forms.DateField(label=_("Suspended until"), widget=forms.DateInput(attrs={"type": "date"}))


class ReinstateForm(forms.Form):
    comment = forms.CharField(label=_("Details"), required=False, max_length=500)


class OfficeForm(forms.ModelForm):
    """Where physicians bring the paper materials: shown to them, and on their receipt, once an institution confirms."""

    class Meta:
        model = Authority
        fields = ["office_address", "opening_hours", "phone"]
        labels = {
            "office_address": _("Address of the counter"),
            "opening_hours": _("Opening hours"),
            "phone": _("Phone"),
        }
        help_texts = {
            "office_address": _("Building, floor and window, as a physician would look for it."),
            "opening_hours": _("In words, for example 周一至周五 9:00–12:00、13:30–17:00（法定节假日除外）."),
        }
        widgets = {
            "office_address": forms.TextInput(
                attrs={"placeholder": _("for example 北京市朝阳区日坛北路33号 政务服务中心 2 层 12 号窗口")}
            ),
            "phone": forms.TextInput(
                attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": _("for example 010-6509 3000")}
            ),
        }
