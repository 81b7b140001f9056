"""Institution accounts, created and looked after by the authority (SPEC section 4).

A clerk creates an institution after checking three documents, which gives it
one staff account with a generated username and a one-time password sent by SMS
to the responsible person; the password must be changed at first login.
"""

import re
import secrets
import string

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from ..models import Institution, Notification, Region
from ..notifications import notification_queue
from ..workflow import in_jurisdiction
from .transitions import NotAllowed

MSG_DOCUMENTS_UNCHECKED = _(
    "Check the license copy, the authorisation letter and the entrusted person's ID before creating the account."
)
MSG_REGION_OUTSIDE = _("This region is outside your jurisdiction.")
MSG_NOT_CLERK = _("Only a clerk of a health authority may do this.")
MSG_NO_STAFF = _("This institution has no active staff account.")

PASSWORD_ALPHABET = "".join(ch for ch in string.ascii_letters + string.digits if ch not in "0O1lI")
PASSWORD_LENGTH = 10


def one_time_password() -> str:
    """A random password with at least one lower-case letter, one upper-case letter and one digit."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


def institution_username(registration_number: str) -> str:
    """``jg`` + the registration number's letters and digits, lower case; a suffix if taken."""
    base = "jg" + re.sub(r"[^0-9a-z]", "", registration_number.lower())[:24]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def _require_jurisdiction(*, actor: User, region: Region) -> None:
    if actor.role != Role.AUTHORITY or actor.authority_id is None:
        raise NotAllowed(MSG_NOT_CLERK)
    if not in_jurisdiction(actor, region.code):
        raise ValidationError({"region": MSG_REGION_OUTSIDE})


def _send_credentials(*, mobile: str, institution: Institution, username: str, password: str) -> None:
    with translation.override("zh-hans"):
        body = gettext(
            "%(institution)s: your institution account for physician registration is %(username)s, "
            "one-time password %(password)s. Please change the password at first sign-in."
        ) % {"institution": institution.name, "username": username, "password": password}
    notification_queue(channel=Notification.Channel.SMS, recipient=mobile, body=body, sealed=True)


@transaction.atomic
def institution_create_with_account(
    *,
    actor: User,
    name: str,
    registration_number: str,
    address: str,
    postcode: str,
    region: Region,
    responsible_person: str,
    mobile: str,
    license_checked: bool,
    authorisation_checked: bool,
    entrusted_id_checked: bool,
) -> tuple[Institution, User]:
    """Create an institution in the clerk's jurisdiction and its first staff account; SMS the credentials."""
    _require_jurisdiction(actor=actor, region=region)
    if not (license_checked and authorisation_checked and entrusted_id_checked):
        raise ValidationError(MSG_DOCUMENTS_UNCHECKED, code="documents_unchecked")
    institution = Institution(
        name=name.strip(),
        registration_number=registration_number.strip(),
        address=address.strip(),
        postcode=postcode.strip(),
        region=region,
        responsible_person=responsible_person.strip(),
        mobile=mobile.strip(),
        license_checked=True,
        authorisation_checked=True,
        entrusted_id_checked=True,
    )
    institution.full_clean()
    institution.save()
    password = one_time_password()
    staff = User(
        username=institution_username(institution.registration_number),
        role=Role.INSTITUTION,
        institution=institution,
        real_name=institution.responsible_person,
        mobile=institution.mobile,
        must_change_password=True,
    )
    staff.set_password(password)
    staff.save()
    _send_credentials(mobile=institution.mobile, institution=institution, username=staff.username, password=password)
    return institution, staff


@transaction.atomic
def institution_staff_password_reset(*, actor: User, institution: Institution) -> User:
    """Give the institution's staff account a new one-time password and SMS it to the responsible person."""
    _require_jurisdiction(actor=actor, region=institution.region)
    staff = (
        User.objects.select_for_update()
        .filter(role=Role.INSTITUTION, institution=institution, is_active=True)
        .order_by("pk")
        .first()
    )
    if staff is None:
        raise ValidationError(MSG_NO_STAFF, code="no_staff")
    password = one_time_password()
    staff.set_password(password)
    staff.must_change_password = True
    staff.save(update_fields=["password", "must_change_password"])
    _send_credentials(mobile=institution.mobile, institution=institution, username=staff.username, password=password)
    return staff


@transaction.atomic
def institution_deactivate(*, actor: User, institution: Institution) -> Institution:
    """Close an institution: it disappears from the physicians' search and its staff can no longer sign in."""
    _require_jurisdiction(actor=actor, region=institution.region)
    Institution.objects.filter(pk=institution.pk).update(is_active=False)
    User.objects.filter(role=Role.INSTITUTION, institution=institution).update(is_active=False)
    institution.refresh_from_db(fields=["is_active"])
    return institution


@transaction.atomic
def institution_reactivate(*, actor: User, institution: Institution) -> Institution:
    """Open a closed institution again; its staff accounts sign in again with their passwords."""
    _require_jurisdiction(actor=actor, region=institution.region)
    Institution.objects.filter(pk=institution.pk).update(is_active=True)
    User.objects.filter(role=Role.INSTITUTION, institution=institution).update(is_active=True)
    institution.refresh_from_db(fields=["is_active"])
    return institution
