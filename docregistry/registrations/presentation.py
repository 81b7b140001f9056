"""How the domain is shown to people: the current step in words, masked numbers.

Pure functions of what they are given: no queries, no writes. The decision clock, which reads
the holiday calendar, is ``calendar.decision_clock`` (re-exported here).
"""

import datetime
from dataclasses import dataclass

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


INSTITUTION_REMINDER_DAYS = 3  # reminders.INSTITUTION_WAIT_DAYS: the institution is reminded after this many days


@dataclass(frozen=True)
class NextStep:
    """What happens next to an application, who acts and by when, in words for the physician."""

    what: str
    who: str
    deadline: str = ""
    bring_materials: bool = False  # the institution confirmed: the physician takes the paper materials in


def authority_deadline(application: Application, office: str, *, today: datetime.date | None = None) -> str:
    """By when the authority decides: not before it accepts (受理) the materials, paused during a 补正."""
    clock = decision_clock(application, today=today)
    if clock is None:
        return ""
    if clock.get("pending"):
        return _(
            "%(authority)s has 20 working days (Physicians Law art. 13), counted from the day it accepts (受理) "
            "your paper materials."
        ) % {"authority": office}
    if clock.get("paused") or clock.get("deadline") is None:
        return _("The authority's 20 working days are paused until you submit the corrected application.")
    return _(
        "%(authority)s decides by %(date)s: 20 working days from accepting (受理) the materials "
        "(Physicians Law art. 13)."
    ) % {"authority": office, "date": clock["deadline"].isoformat()}


def next_step(application: Application, *, authority=None, today: datetime.date | None = None) -> NextStep:
    """The step after the current one; ``authority`` is the one that decides (its name is shown)."""
    institution = application.institution
    office = authority.name if authority is not None else _("the health authority")
    if application.state == State.DRAFT:
        return NextStep(
            what=_("Fill in every step of the form and submit it; nothing is sent until you do."), who=_("You")
        )
    if application.state == State.SUBMITTED:
        return NextStep(
            what=_(
                "%(institution)s checks your application and prints the review form, then confirms it "
                "or returns it to you with a reason."
            )
            % {"institution": institution},
            who=_("The personnel office of %(institution)s") % {"institution": institution},
            deadline=_("No time limit is set by law; the institution is reminded after %(days)s days.")
            % {"days": INSTITUTION_REMINDER_DAYS},
        )
    if application.state == State.INSTITUTION_APPROVED:
        return NextStep(
            what=_(
                "Bring the paper materials listed below to %(authority)s. It checks them, then approves the "
                "registration, returns the application to you or refuses it."
            )
            % {"authority": office},
            who=_("You (the materials), then %(authority)s") % {"authority": office},
            deadline=authority_deadline(application, office, today=today),
            bring_materials=True,
        )
    if application.state == State.RETURNED:
        return NextStep(
            what=_("Correct what the reason names and submit the application again."),
            who=_("You"),
            deadline=authority_deadline(application, office, today=today),
        )
    if application.state == State.AUTHORITY_APPROVED:
        return NextStep(
            what=_("Nothing more: download the electronic practice certificate from your home page."),
            who=_("Nobody: it is done"),
        )
    if application.state == State.REFUSED:
        return NextStep(
            what=_("If you disagree, you may apply for administrative reconsideration or sue (see below)."),
            who=_("You, if you disagree"),
        )
    return NextStep(what=_("Nothing more; you may start a new application."), who=_("You"))
