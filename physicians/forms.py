"""Forms of the physician portal: what the physician types; the rules live in the services."""

import functools

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.template import loader
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role
from docregistry.registrations.models import Application, Document, Institution, Title
from docregistry.registrations.notifications import notification_queue
from docregistry.registrations.services import DOCUMENT_MAX_BYTES
from docregistry.registrations.types import APPLICATION_TYPES, ApplicationType
from docregistry.validators import (
    normalize_id_number,
    normalize_mobile,
    normalize_real_name,
    validate_id_number,
    validate_mobile,
    validate_real_name,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SignupForm(forms.Form):
    real_name = forms.CharField(
        label=_("Real name"), max_length=80, help_text=_("As on your resident ID card, in Chinese characters.")
    )
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}),
    )
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        help_text=_("An activation code will be sent to this number."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(label=_("E-mail"), help_text=_("Used to recover your password."))
    username = forms.CharField(
        label=_("Username"), max_length=150, help_text=_("The name you sign in with; not your real name.")
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password_again = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The rules are shown before the first try, not only after a failure.
        self.fields["password"].help_text = " ".join(str(text) for text in password_validators_help_texts())

    # The shared validators give every field its message at once; the service checks them all again.
    def clean_real_name(self):
        value = normalize_real_name(self.cleaned_data["real_name"])
        validate_real_name(value)
        return value

    def clean_id_number(self):
        value = normalize_id_number(self.cleaned_data["id_number"])
        validate_id_number(value)
        return value

    def clean_mobile(self):
        value = normalize_mobile(self.cleaned_data["mobile"])
        validate_mobile(value)
        return value

    def clean_password(self):
        value = self.cleaned_data["password"]
        validate_password(value)
        return value

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords differ."))
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}),
    )


class IdentityForm(forms.Form):
    real_name = forms.CharField(label=_("Real name"), max_length=80)
    id_number = forms.CharField(label=_("Resident ID number"), max_length=30)


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))


class MobileForm(forms.Form):
    mobile = forms.CharField(label=_("New mobile number"), max_length=20)


class ResetRequestForm(forms.Form):
    id_number = forms.CharField(label=_("Resident ID number"), max_length=30)
    mobile = forms.CharField(label=_("Registered mobile number"), max_length=20)


class ResetConfirmForm(CodeForm):
    new_password1 = forms.CharField(label=_("New password"), widget=forms.PasswordInput)
    new_password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password2") and data["new_password1"] != data["new_password2"]:
            self.add_error("new_password2", _("The two passwords differ."))
        return data


class PhysicianPasswordResetForm(PasswordResetForm):
    """Django's e-mail reset, limited to physicians and sent through the outbox."""

    def get_users(self, email):
        for user in super().get_users(email):
            if user.role == Role.PHYSICIAN:
                yield user

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        notification_queue(channel="email", recipient=to_email, subject=subject, body=body)


DOCUMENT_KINDS = [
    (Document.Kind.TRAINING_PROOF, _("Training and assessment proof")),
    (Document.Kind.PHOTO, _("Photo")),
    (Document.Kind.CONTRACT, _("Labour contract or employment proof")),
    (Document.Kind.OTHER, _("Other")),
]


class NewApplicationForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Kind of application"),
        choices=[(kind.type, kind.label) for kind in APPLICATION_TYPES.values()],
        widget=forms.RadioSelect,
    )
    qualification = forms.ModelChoiceField(
        label=_("Qualification"), queryset=None, widget=forms.RadioSelect, empty_label=None
    )

    def __init__(self, *args, qualifications, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qualification"].queryset = qualifications
        self.fields["qualification"].label_from_instance = lambda q: (
            f"{q.get_level_display()} · {q.get_category_display()} · {q.certificate_code}"
        )
        records = list(qualifications)
        if len(records) == 1:
            self.fields["qualification"].initial = records[0].pk


EDUCATION_CHOICES = [
    ("", _("Choose your highest education")),
    ("中专", _("Secondary vocational school (中专)")),
    ("大专", _("Junior college (大专)")),
    ("本科", _("Bachelor (本科)")),
    ("硕士研究生", _("Master (硕士研究生)")),
    ("博士研究生", _("Doctorate (博士研究生)")),
    ("其他", _("Other (其他)")),
]
TITLE_CHOICES = [
    ("", _("No title yet")),
    *[(value, label) for value, label in Title.choices if value],
]
TEACHING_TITLE_CHOICES = [
    ("", _("None")),
    ("讲师", _("Lecturer (counts as attending physician)")),
    ("副教授", _("Associate professor (counts as associate chief physician)")),
    ("教授", _("Professor (counts as chief physician)")),
]


def _title_field():
    return forms.ChoiceField(label=_("Professional title"), choices=TITLE_CHOICES, required=False)


def _teaching_title_field():
    return forms.ChoiceField(
        label=_("Teaching title"),
        choices=TEACHING_TITLE_CHOICES,
        required=False,
        help_text=_("A teaching title sets the professional title it counts as."),
    )


def _education_field():
    return forms.ChoiceField(
        label=_("Highest education"),
        choices=EDUCATION_CHOICES,
        required=False,
        help_text=_("The highest education relevant to your category."),
    )


def _scope_field():
    return forms.ChoiceField(label=_("Practice scope"), required=False)  # choices: the category's scopes


def _institution_field():
    return forms.ModelChoiceField(
        label=_("Institution"),
        queryset=Institution.objects.filter(is_active=True),
        required=False,
        widget=forms.HiddenInput(),
    )


def _extra_scopes_field():
    return forms.MultipleChoiceField(
        label=_("Further practice scopes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("增加执业范围: tick every further scope you apply for; untick one to remove it."),
    )


# The fields whose form field is not the model's own.
FIELD_OVERRIDES = {
    "extra_scopes": _extra_scopes_field,
    "institution": _institution_field,
    "title": _title_field,
    "teaching_title": _teaching_title_field,
    "scope": _scope_field,
    "education": _education_field,
}


class ApplicationFormBase(forms.ModelForm):
    """What an application form of any type shares; ``application_form_class`` makes one per type."""

    def __init__(self, *args, scopes: list[str], two_year_rule: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # The training and assessment line is asked for only when the two-year rule applies (or was filled in).
        if "training_assessment" in self.fields and not (two_year_rule or self.instance.training_assessment):
            del self.fields["training_assessment"]
        if "scope" in self.fields:
            self.fields["scope"].choices = [("", _("Choose a practice scope")), *((scope, scope) for scope in scopes)]
        if "education" in self.fields:
            # A value stored before the choice list existed stays choosable.
            current = self.instance.education
            if current and current not in dict(EDUCATION_CHOICES):
                self.fields["education"].choices = [*EDUCATION_CHOICES, (current, current)]
        if "health_status" in self.fields:
            self.fields["health_status"].widget.attrs["placeholder"] = _("for example 良好 (good)")
        if "extra_scopes" in self.fields:
            self.fields["extra_scopes"].choices = [(scope, scope) for scope in scopes]


@functools.cache
def application_form_class(kind: ApplicationType) -> type[ApplicationFormBase]:
    """The form of one application type: exactly the fields ``kind.editable`` names, in that order."""
    meta = type(
        "Meta",
        (),
        {
            "model": Application,
            "fields": list(kind.editable),
            "widgets": {"site_starts_on": DATE, "site_ends_on": DATE},
            "labels": {
                "education": _("Highest education"),
                "health_status": _("Health status"),
                "practice_suspended": _("Practice suspended for two years or more"),
                "site_starts_on": _("Practice at this institution from"),
                "site_ends_on": _("Practice at this institution until"),
                "cancellation_reason": _("Reason for cancellation"),
                "training_assessment": _("Training and assessment (institution, period, result)"),
            },
            "help_texts": {
                "education": _("The highest education relevant to your category."),
                "health_status": _("As on your registration health-check form, for example 良好."),
                "practice_suspended": _("Tick if you have not practised for two years or more."),
                "training_assessment": _(
                    "Printed on page 2 of the review form: the designated training institution, the six months of "
                    "training and the assessment result, for example 北京市医师培训中心 2026年1月—2026年6月 考核合格."
                ),
            },
        },
    )
    fields = {name: factory() for name, factory in FIELD_OVERRIDES.items() if name in kind.editable}
    name = "".join(part.title() for part in kind.type.split("_")) + "ApplicationForm"
    return type(name, (ApplicationFormBase,), {"Meta": meta, **fields})


class WorkPeriodForm(forms.Form):
    starts_on = forms.DateField(label=_("From"), widget=DATE, required=False)
    ends_on = forms.DateField(label=_("To"), widget=DATE, required=False, help_text=_("Leave empty if ongoing."))
    employer = forms.CharField(
        label=_("Employer"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("for example 北京大学第一医院")}),
    )
    position = forms.CharField(
        label=_("Position"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("for example 住院医师 (resident)")}),
    )


WorkPeriodFormSet = forms.formset_factory(WorkPeriodForm, extra=1, can_delete=True, max_num=30)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What it is"), choices=DOCUMENT_KINDS)
    file = forms.FileField(
        label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("PDF, JPEG or PNG, at most %(mb)s MB.") % {
            "mb": DOCUMENT_MAX_BYTES // (1024 * 1024)
        }


class InstitutionSearchForm(forms.Form):
    q = forms.CharField(label=_("Institution name or registration number"), max_length=100, required=False)
