"""How the domain is shown to people: the current step in words, masked numbers, the decision clock.

Pure functions of what they are given: no queries, no writes.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

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


DECISION_WORKING_DAYS = 20  # Physicians Law art. 13


def decision_clock(application: Application, *, today: datetime.date | None = None) -> dict | None:
    """The authority's 20-working-day clock, counted from the day the institution forwarded the application."""
    if application.institution_decided_at is None or application.state != State.INSTITUTION_APPROVED:
        return None
    start = timezone.localdate(application.institution_decided_at)
    today = today or timezone.localdate()
    elapsed = working_days_between(start, today)
    deadline = add_working_days(start, DECISION_WORKING_DAYS)
    return {
        "start": start,
        "elapsed": elapsed,
        "remaining": max(DECISION_WORKING_DAYS - elapsed, 0),
        "limit": DECISION_WORKING_DAYS,
        "deadline": deadline,
        "overdue": elapsed > DECISION_WORKING_DAYS,
        "percent": min(100, round(100 * elapsed / DECISION_WORKING_DAYS)),
    }


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The day ``days`` Monday–Friday days after ``start`` (public holidays not counted)."""
    weeks, rest = divmod(days, 5)
    day = start + datetime.timedelta(weeks=max(weeks, 0))
    if weeks > 0 and rest == 0 and day.weekday() >= 5:
        # From a weekend day, whole weeks land on a weekend: the last working day was the Friday before.
        return day - datetime.timedelta(days=day.weekday() - 4)
    while rest > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            rest -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Monday–Friday days after ``start`` up to and including ``end`` (public holidays not counted).

    Arithmetic, not a walk over the days: a list page counts it for every row.
    """
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    weekday = start.weekday()
    return weeks * 5 + sum(1 for offset in range(1, rest + 1) if (weekday + offset) % 7 < 5)
