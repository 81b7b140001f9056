"""Registration windows: the periods in which an authority accepts first registrations (SPEC section 5)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from ..models import Application, RegistrationWindow
from ..selectors import registration_window_status
from .transitions import MSG_NOT_ALLOWED, NotAllowed

MSG_WINDOW_CLOSED = _(
    "First registrations are not accepted now in this region. The next registration window opens on %(date)s."
)
MSG_WINDOW_CLOSED_NO_NEXT = _(
    "First registrations are not accepted now in this region, and no next registration window has been announced yet."
)
MSG_WINDOW_ORDER = _("A registration window must close on or after the day it opens.")
MSG_WINDOW_OVERLAP = _("This period overlaps another registration window of your authority.")


def application_check_window(*, application: Application) -> None:
    """First registrations are accepted only inside the region's registration windows."""
    if application.type != Application.Type.FIRST or application.institution_id is None:
        return
    is_open, next_window = registration_window_status(institution=application.institution, on=timezone.localdate())
    if is_open:
        return
    if next_window is None:
        raise ValidationError(MSG_WINDOW_CLOSED_NO_NEXT, code="window_closed")
    raise ValidationError(MSG_WINDOW_CLOSED % {"date": next_window.starts_on.isoformat()}, code="window_closed")


@transaction.atomic
def registration_window_create(*, actor: User, starts_on, ends_on) -> RegistrationWindow:
    """A period in which the clerk's authority accepts first registrations."""
    if actor.role != Role.AUTHORITY or actor.authority_id is None:
        raise NotAllowed(MSG_NOT_ALLOWED)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": MSG_WINDOW_ORDER})
    overlapping = RegistrationWindow.objects.select_for_update().filter(
        authority_id=actor.authority_id, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if overlapping.exists():
        raise ValidationError({"starts_on": MSG_WINDOW_OVERLAP})
    window = RegistrationWindow(authority_id=actor.authority_id, starts_on=starts_on, ends_on=ends_on)
    window.full_clean()
    window.save()
    return window


@transaction.atomic
def registration_window_delete(*, actor: User, window: RegistrationWindow) -> None:
    if actor.role != Role.AUTHORITY or window.authority_id != actor.authority_id:
        raise NotAllowed(MSG_NOT_ALLOWED)
    window.delete()
