"""Working days and the authority's decision clock (SPEC section 10, 医师法 art. 13).

A working day is Monday to Friday, unless the holiday calendar (``CalendarDay``, seeded
from the ``chinese-calendar`` package by a migration and edited in the admin) says the
day is a public holiday, or a weekend day is a make-up working day (调休). The calendar
is read from the database only: one query for the whole span a question needs, never
one per day, and never anything from outside at run time.

The clock starts when the authority accepts the paper materials (受理, ``accepted_at``),
stops counting while the application is back with the physician for missing materials
(补正: from the day it is returned, ``clock_paused_on``, until the day it is submitted
again, both counted as paused), and the deadline is 20 working days plus the paused
ones after the day of acceptance. ``decision_due_on`` keeps the deadline so that lists
and reminders filter by it in SQL; it is written at acceptance and at resubmission and
recomputed when the operator edits the calendar (``deadlines_recompute``, in the background
and in batches: ``deadlines_recompute_after_edit``).
"""

import datetime
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError

from docregistry.celery import enqueue

from .models import Application
from .paper_models import CalendarDay

DECISION_WORKING_DAYS = 20  # Physicians Law art. 13
ONE_DAY = datetime.timedelta(days=1)
logger = logging.getLogger(__name__)

State = Application.State
# The clock runs (or is paused) in these states once the paper materials were accepted.
CLOCK_STATES = (State.SUBMITTED, State.INSTITUTION_APPROVED, State.RETURNED)


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _span_for(days: int) -> datetime.timedelta:
    """Enough calendar days to hold ``days`` working days, the longest holiday weeks included."""
    return datetime.timedelta(days=days * 7 // 5 + 21)


class WorkCalendar:
    """The calendar rows of a span of dates, read in one query; extends itself (one more query) if asked beyond."""

    def __init__(self, first: datetime.date, last: datetime.date):
        self.first, self.last = first, first - ONE_DAY
        self.kinds: dict[datetime.date, str] = {}
        self.queries = 0
        self.cover(first, last)

    def cover(self, first: datetime.date, last: datetime.date) -> None:
        if first >= self.first and last <= self.last:
            return
        first, last = min(first, self.first), max(last, self.last)
        self.kinds.update(CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind"))
        self.first, self.last = first, last
        self.queries += 1

    def is_working(self, day: datetime.date) -> bool:
        self.cover(day, day)
        kind = self.kinds.get(day)
        if kind is not None:
            return kind == CalendarDay.Kind.WORKDAY
        return day.weekday() < 5

    def add(self, start: datetime.date, days: int) -> datetime.date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
        self.cover(start, start + _span_for(days))
        day = start
        while days > 0:
            day += ONE_DAY
            if self.is_working(day):
                days -= 1
        return day

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after ``start`` up to and including ``end``; 0 when ``end`` is not after ``start``."""
        if end <= start:
            return 0
        self.cover(start, end)
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_working(start + datetime.timedelta(days=n)))


def working_days_after(start: datetime.date, days: int, *, calendar: WorkCalendar | None = None) -> datetime.date:
    """The ``days``-th working day after ``start``: ``working_days_after(date(2026, 9, 30), 20)`` is 2026-11-03."""
    return (calendar or WorkCalendar(start, start + _span_for(days))).add(start, days)


def working_days_between(start: datetime.date, end: datetime.date, *, calendar: WorkCalendar | None = None) -> int:
    return (calendar or WorkCalendar(start, max(start, end))).between(start, end)


def deadline(
    accepted_on: datetime.date, *, paused_days: int = 0, calendar: WorkCalendar | None = None
) -> datetime.date:
    """The last day of the decision: 20 working days after acceptance, plus those paused for 补正."""
    return working_days_after(accepted_on, DECISION_WORKING_DAYS + paused_days, calendar=calendar)


# ---- What the services write with a move ---------------------------------------------


def clock_pause_updates(application: Application, *, today: datetime.date | None = None) -> dict:
    """A return after acceptance pauses the clock (补正); before acceptance there is no clock to pause."""
    if application.accepted_at is None or application.clock_paused_on is not None:
        return {}
    return {"clock_paused_on": today or timezone.localdate(), "decision_due_on": None}


def clock_resume_updates(application: Application, *, today: datetime.date | None = None) -> dict:
    """Submitting again after a 补正 return resumes the clock: the paused working days move the deadline."""
    if application.accepted_at is None or application.clock_paused_on is None:
        return {}
    today = today or timezone.localdate()
    accepted_on = timezone.localdate(application.accepted_at)
    calendar = WorkCalendar(application.clock_paused_on, today)
    paused = application.clock_paused_days + calendar.between(application.clock_paused_on, today)
    return {
        "clock_paused_on": None,
        "clock_paused_days": paused,
        "decision_due_on": deadline(accepted_on, paused_days=paused, calendar=calendar),
    }


def clock_start_updates(*, actor, now: datetime.datetime | None = None) -> dict:
    """受理: the paper materials are accepted now; the clock starts."""
    now = now or timezone.now()
    return {"accepted_at": now, "accepted_by": actor, "decision_due_on": deadline(timezone.localdate(now))}


# ---- What every party sees -------------------------------------------------------------


def decision_clock(
    application: Application, *, today: datetime.date | None = None, calendar: WorkCalendar | None = None
) -> dict | None:
    """The clock as the pages show it; None before the institution forwarded it and after the decision.

    ``pending``: forwarded, the paper materials not yet accepted (no clock yet);
    ``paused``: back with the physician for 补正 (``paused_since``); otherwise running,
    with ``deadline``, ``elapsed``, ``remaining`` and ``overdue``.
    """
    if application.state not in CLOCK_STATES:
        return None
    if application.accepted_at is None:
        if application.state != State.INSTITUTION_APPROVED:
            return None
        return {"pending": True, "limit": DECISION_WORKING_DAYS}
    today = today or timezone.localdate()
    accepted_on = timezone.localdate(application.accepted_at)
    base = {"pending": False, "accepted_on": accepted_on, "limit": DECISION_WORKING_DAYS}
    calendar = calendar or WorkCalendar(min(accepted_on, today), today + _span_for(DECISION_WORKING_DAYS))
    if application.clock_paused_on is not None:
        used = calendar.between(accepted_on, application.clock_paused_on) - application.clock_paused_days
        return {
            **base,
            "paused": True,
            "paused_since": application.clock_paused_on,
            "elapsed": max(used, 0),
            "remaining": max(DECISION_WORKING_DAYS - used, 0),
            "deadline": None,
            "overdue": used > DECISION_WORKING_DAYS,
            "percent": min(100, round(100 * max(used, 0) / DECISION_WORKING_DAYS)),
        }
    due = application.decision_due_on or deadline(
        accepted_on, paused_days=application.clock_paused_days, calendar=calendar
    )
    remaining = calendar.between(today, due) if today <= due else -calendar.between(due, today)
    elapsed = DECISION_WORKING_DAYS - remaining
    return {
        **base,
        "paused": False,
        "deadline": due,
        "elapsed": elapsed,
        "remaining": max(remaining, 0),
        "overdue": today > due,
        "percent": min(100, max(0, round(100 * elapsed / DECISION_WORKING_DAYS))),
    }


def decision_clocks(applications: Iterable[Application], *, today: datetime.date | None = None) -> list:
    """``decision_clock`` for every row of a page, with one calendar query for all of them."""
    applications = list(applications)
    today = today or timezone.localdate()
    dates = [today, today + _span_for(DECISION_WORKING_DAYS)]
    for a in applications:
        if a.accepted_at is not None:
            dates.append(timezone.localdate(a.accepted_at))
        dates.extend(d for d in (a.decision_due_on, a.clock_paused_on) if d)
    calendar = WorkCalendar(min(dates), max(dates))
    return [decision_clock(a, today=today, calendar=calendar) for a in applications]


# ---- The calendar's data -------------------------------------------------------------------


def years_loaded() -> set[int]:
    return {d.year for d in CalendarDay.objects.dates("date", "year")}


def years_missing(*, today: datetime.date | None = None) -> list[int]:
    """This year and the next, when the calendar holds no day of them (the operator must add them)."""
    today = today or timezone.localdate()
    loaded = years_loaded()
    return [year for year in (today.year, today.year + 1) if year not in loaded]


RECOMPUTE_TASK = "docregistry.registrations.tasks.recompute_deadlines"
RECOMPUTE_BATCH = 500  # running clocks locked, read and written together


def _running_clocks(first: datetime.date | None = None, last: datetime.date | None = None) -> QuerySet:
    """The running clocks; with a span of edited days, only those whose deadline a day in it can move.

    A day moves a deadline only if it lies after the day of acceptance and on or before the
    deadline (a day after it is never counted, whatever its kind), so the clocks accepted on
    or after ``last`` and those due before ``first`` keep theirs.
    """
    running = Application.objects.filter(
        state__in=CLOCK_STATES, accepted_at__isnull=False, clock_paused_on__isnull=True
    )
    if first is None or last is None:
        return running
    return running.filter(
        accepted_at__lt=timezone.make_aware(datetime.datetime.combine(last, datetime.time.min))
    ).filter(Q(decision_due_on__isnull=True) | Q(decision_due_on__gte=first))


def deadlines_recompute(
    *, first: datetime.date | None = None, last: datetime.date | None = None, batch_size: int = RECOMPUTE_BATCH
) -> int:
    """After the operator edits the calendar: the deadline of every running clock the edit can move, again.

    ``first``/``last``: the span of the days edited (none: every running clock). In batches by
    primary key, each its own transaction: lock and read ``batch_size`` clocks, read the calendar
    for their span, one ``bulk_update`` of those that changed; the same few queries per batch
    however many clocks run. Returns how many deadlines changed.
    """
    clocks = (
        _running_clocks(first, last).order_by("pk").only("pk", "accepted_at", "clock_paused_days", "decision_due_on")
    )
    changed, after = 0, 0
    while True:
        with transaction.atomic():
            batch = list(clocks.filter(pk__gt=after).select_for_update()[:batch_size])
            if not batch:
                return changed
            changed += _deadlines_rewrite(batch)
        if len(batch) < batch_size:
            return changed
        after = batch[-1].pk


def _deadlines_rewrite(batch: list[Application]) -> int:
    starts = [timezone.localdate(a.accepted_at) for a in batch]
    calendar = WorkCalendar(min(starts), max(starts) + _span_for(DECISION_WORKING_DAYS + 60))
    changed = []
    for application, start in zip(batch, starts, strict=True):
        due = deadline(start, paused_days=application.clock_paused_days, calendar=calendar)
        if due != application.decision_due_on:
            application.decision_due_on = due
            changed.append(application)
    if changed:
        Application.objects.bulk_update(changed, ["decision_due_on"])
    return len(changed)


def deadlines_recompute_after_edit(days: Iterable[datetime.date]) -> None:
    """The operator edited these calendar days: once that commits, recompute in the background.

    A Celery task (in-process where tasks run eagerly), so the admin's save does not wait for
    every running clock; when the broker cannot be reached the request recomputes itself, so a
    deadline is never left counted by the old calendar.
    """
    days = sorted({d for d in days if d is not None})
    if not days:
        return
    first, last = days[0], days[-1]

    def queue() -> None:
        try:
            enqueue(RECOMPUTE_TASK, first.isoformat(), last.isoformat())
        except OperationalError:
            logger.warning("deadlines for %s…%s recomputed in the request: broker unreachable", first, last)
            deadlines_recompute(first=first, last=last)

    transaction.on_commit(queue)


# The package names holidays in English; the calendar shows them as the State Council does.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def load_calendar(model=CalendarDay) -> int:
    """Write the days the ``chinese-calendar`` package knows and the table does not hold yet (migration 0013).

    Read when migrating (or loading test data), never while serving: a day the operator
    edited is left as it is.
    """
    from chinese_calendar import constants

    existing = set(model.objects.values_list("date", flat=True))

    def name(value) -> str:
        return HOLIDAY_NAMES.get(str(value), str(value))[:48]

    rows = [model(date=d, kind="holiday", name=name(v)) for d, v in constants.holidays.items() if d not in existing]
    rows += [
        model(date=d, kind="workday", name=name(v) + "调休") for d, v in constants.workdays.items() if d not in existing
    ]
    model.objects.bulk_create(rows, batch_size=500)
    return len(rows)
