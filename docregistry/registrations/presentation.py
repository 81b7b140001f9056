"""How the domain is shown to people: the current step in words, masked numbers.

Pure functions of what they are given: no queries, no writes. The decision clock, which reads
the holiday calendar, is ``calendar.decision_clock`` (re-exported here).
"""

from django.utils.translation import gettext as _

from .calendar import (  # noqa: F401 - the decision clock, re-exported
    DECISION_WORKING_DAYS,
    decision_clock,
    decision_clocks,
    working_days_between,
)
from .calendar import working_days_after as add_working_days  # noqa: F401
from .models import Application

State = Application.State


def mask_id_number(id_number: str) -> str:
    """First 6 and last 4 characters shown: 110105********002X."""
    if len(id_number) < 10:
        return id_number
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_mobile(mobile: str) -> str:
    """139****0010."""
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) == 11 else mobile


def current_step(application: Application) -> str:
    """What the application waits for, in words."""
    if application.state == State.DRAFT:
        return _("Draft: not yet submitted.")
    if application.state == State.SUBMITTED:
        return _("Waiting for %(institution)s to confirm.") % {"institution": application.institution}
    if application.state == State.INSTITUTION_APPROVED:
        return _("Confirmed by %(institution)s; waiting for the health authority's decision.") % {
            "institution": application.institution
        }
    if application.state == State.RETURNED:
        return _("Returned to you: correct it and submit again.")
    if application.state == State.AUTHORITY_APPROVED:
        return _("Approved: the registration is in force.")
    if application.state == State.REFUSED:
        return _("Refused by the health authority.")
    return _("Withdrawn.")
