"""What a printed document says, next to what the record says now (the page behind every QR code).

Anyone holding the print may open it, so it shows only what the public register shows
and what the print itself states about the application — never the ID number, mobile,
e-mail or address.
"""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from docregistry.registrations.models import Application

from . import tokens
from .certificates import verify_certificate
from .documents import Verification, display_date

State = Application.State
STATE_LABELS = dict(State.choices)  # a state this module does not know shows as its value, never a 500

# "the application was … on <date>": what happened to it after the print.
_HAPPENED = {
    State.SUBMITTED: gettext_lazy("submitted again"),
    State.INSTITUTION_APPROVED: gettext_lazy("confirmed by the institution"),
    State.AUTHORITY_APPROVED: gettext_lazy("approved by the health authority"),
    State.RETURNED: gettext_lazy("returned"),
    State.REFUSED: gettext_lazy("refused"),
    State.WITHDRAWN: gettext_lazy("withdrawn"),
}


def verify(token: str) -> Verification:
    """The verification of the document a token names; Http404 for a forged, altered or unknown token."""
    ref = tokens.read_token(token)
    if ref is None:
        raise Http404
    if ref.kind == tokens.REVIEW_FORM:
        return _verify_review_form(ref)
    return verify_certificate(ref)


def _state_since(state, since) -> str:
    return _("%(state)s, since %(date)s") % {"state": state, "date": display_date(since)}


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
        (_("State when printed"), _state_since(STATE_LABELS.get(printed_state, printed_state), printed_since)),
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
        happened = _HAPPENED.get(first.to_state, STATE_LABELS.get(first.to_state, first.to_state))
        result.changed_on = timezone.localdate(first.created_at)
        result.stale = _("This print is out of date: the application was %(what)s on %(date)s.") % {
            "what": happened,
            "date": display_date(first.created_at),
        }
    return result
