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
