"""The authority's office: where physicians bring the paper materials, when it is open, its phone."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from ..models import Authority
from .transitions import MSG_NOT_ALLOWED, NotAllowed

MSG_PHONE = _("Enter a phone number of digits, spaces, dashes and parentheses, for example 010-6500 1234.")
OFFICE_FIELDS = ("office_address", "opening_hours", "phone")


@transaction.atomic
def authority_office_update(*, actor: User, office_address: str, opening_hours: str, phone: str) -> Authority:
    """A clerk sets their own authority's office details (shown to physicians once an institution confirms)."""
    if actor.role != Role.AUTHORITY or actor.authority_id is None:
        raise NotAllowed(MSG_NOT_ALLOWED)
    authority = Authority.objects.select_for_update().get(pk=actor.authority_id)
    authority.office_address = office_address.strip()
    authority.opening_hours = opening_hours.strip()
    authority.phone = phone.strip()
    if authority.phone and not all(ch.isdigit() or ch in " -()+转" for ch in authority.phone):
        raise ValidationError({"phone": MSG_PHONE})
    authority.full_clean()
    authority.save(update_fields=list(OFFICE_FIELDS))
    return authority
