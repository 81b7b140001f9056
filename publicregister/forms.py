from django import forms
from django.utils.translation import gettext_lazy as _

MSG_NAME_ALONE = _("Enter the practice certificate code or the institution as well: a name alone finds nothing.")
MSG_WILDCARD = _("Type the full name and code: wildcards are not accepted.")
WILDCARDS = set("*%?_＊％？")


class LookupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    code = forms.CharField(
        label=_("Practice certificate code"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    institution = forms.CharField(
        label=_("Institution (full name or registration number)"), max_length=100, required=False
    )

    def clean(self):
        data = super().clean()
        for name in ("name", "code", "institution"):
            if WILDCARDS & set(data.get(name) or ""):
                self.add_error(name, MSG_WILDCARD)
        if data.get("name") and not (data.get("code") or "").strip() and not (data.get("institution") or "").strip():
            self.add_error("code", MSG_NAME_ALONE)
        return data


class AnnouncementForm(forms.Form):
    month = forms.DateField(
        label=_("Month"), input_formats=["%Y-%m"], widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    )
