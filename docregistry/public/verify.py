"""What a printed document says, next to what the record says now (the page behind every QR code).

Anyone holding the print may open it, so it shows only what the public register shows
and what the print itself states about the application — never the ID number, mobile,
e-mail or address.
"""

import datetime
from dataclasses import dataclass, field

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from docregistry.registrations.models import Application

from . import tokens

State = Application.State

# "the application was … on <date>": what happened to it after the print.
_HAPPENED = {
    State.SUBMITTED: gettext_lazy("submitted again"),
    State.INSTITUTION_APPROVED: gettext_lazy("confirmed by the institution"),
    State.AUTHORITY_APPROVED: gettext_lazy("approved by the health authority"),
    State.RETURNED: gettext_lazy("returned"),
    State.REFUSED: gettext_lazy("refused"),
    State.WITHDRAWN: gettext_lazy("withdrawn"),
}


@dataclass
class Verification:
    """One verified document: rows of (label, value) as printed and as recorded now, and the warnings."""

    kind: str
    title: str
    reference: str
    printed: list[tuple[str, str]] = field(default_factory=list)
    now: list[tuple[str, str]] = field(default_factory=list)
    stale: str = ""  # the red warning: the print no longer says what the record says
    caution: str = ""  # the record now is not in force (suspended, cancelled, …)
    changed_on: datetime.date | None = None


def verify(token: str) -> Verification:
    """The verification of the document a token names; Http404 for a forged, altered or unknown token."""
    ref = tokens.read_token(token)
    if ref is None:
        raise Http404
    if ref.kind == tokens.REVIEW_FORM:
        return _verify_review_form(ref)
    from .certificates import verify_certificate

    return verify_certificate(ref)


def _date(value) -> str:
    from django.utils.formats import date_format

    return date_format(timezone.localdate(value) if isinstance(value, datetime.datetime) else value, "DATE_FORMAT")


def _state_since(state, since) -> str:
    return _("%(state)s, since %(date)s") % {"state": state, "date": _date(since)}


def _verify_review_form(ref: tokens.DocumentRef) -> Verification:
    application = (
        Application.objects.select_related("institution").prefetch_related("status_changes").filter(pk=ref.id).first()
    )
    if application is None or not isinstance(ref.version, int) or not 1 <= ref.version <= application.version:
        raise Http404
    changes = list(application.status_changes.all())
    # The version goes up by one with every change of state (registrations.services._transition).
    previous = changes[ref.version - 2] if 2 <= ref.version <= len(changes) + 1 else None
    printed_state = previous.to_state if previous else State.DRAFT
    printed_since = previous.created_at if previous else application.created_at
    later = changes[ref.version - 1 :]
    result = Verification(
        kind=tokens.REVIEW_FORM,
        title=_("Review form of a practice registration application"),
        reference=application.number or "",
    )
    institution = application.institution.name if application.institution_id else ""
    result.printed = [
        (_("Application number"), application.number or ""),
        (_("Type"), application.get_type_display()),
        (_("Name"), application.name),
        (_("Institution"), institution),
        (_("State when printed"), _state_since(State(printed_state).label, printed_since)),
    ]
    result.now = [
        (
            _("State now"),
            _state_since(
                application.get_state_display(), changes[-1].created_at if changes else application.created_at
            ),
        ),
    ]
    if application.practice_certificate_code:
        result.now.append((_("Practice certificate code"), application.practice_certificate_code))
    if later:
        first = later[0]
        happened = _HAPPENED.get(first.to_state, State(first.to_state).label)
        result.changed_on = timezone.localdate(first.created_at)
        result.stale = _("This print is out of date: the application was %(what)s on %(date)s.") % {
            "what": happened,
            "date": _date(first.created_at),
        }
    return result
