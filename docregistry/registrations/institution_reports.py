"""What an institution reports to the register (SPEC section 9), and what the authority does with it.

- a **departure** (办法 art. 19) within 30 days of the physician leaving: it is filed (an audit row), the
  institution's filing ends, the authority sees it in its queue; two years after leaving the main institution
  without a new one the registration is cancelled by beat (``departures_cancel_after_two_years``);
- a **ground for cancellation** (art. 18) within 30 days of the event: the authority confirms it from its
  queue and the registration is cancelled on that ground, or says why it does not.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from . import calendar, register
from .errors import AlreadyHandled, NotAllowed
from .grounds import ground_get
from .models import PracticeSite, Registration
from .notifications import notify_departure, notify_report_rejected, notify_site_ended
from .register_models import Ground, InstitutionReport, RegistrationChange

Kind = InstitutionReport.Kind
Outcome = InstitutionReport.Outcome
RegState = Registration.State
REPORT_DAYS = 30  # 办法 art. 18, 19: within 30 days
DEPARTURE_YEARS = 2
# Grounds only the physician (an own request) or the register itself (two years after a departure) invoke.
NOT_REPORTED = ("own_request", "departure_two_years")

MSG_DATE_FUTURE = _("This date is in the future; enter the day it happened.")
MSG_DATE_LATE = _(
    "%(date)s is more than %(days)s days ago: the report had to be made within %(days)s days. "
    "Contact the health authority, which can act of its own motion."
)
MSG_REASON = _("Choose why the physician left.")
MSG_ALREADY_DEPARTED = _("The departure of %(name)s from this institution is already on record.")
MSG_ALREADY_REPORTED = _("A report on %(name)s is already waiting for the health authority.")
MSG_GROUND_NOT_REPORTED = _("Choose one of the grounds listed; an own request is made by the physician.")
MSG_NOT_AT_INSTITUTION = _("This physician does not practise at your institution.")
MSG_REPORT_HANDLED = _("This report has already been handled.")
MSG_REJECT_REASON = _("Say why the report is not confirmed; the institution is told.")


def report_date_errors(*, field: str, day: datetime.date | None, today: datetime.date) -> dict:
    """A report's date: not in the future, at most 30 days ago."""
    if day is None:
        return {}
    if day > today:
        return {field: MSG_DATE_FUTURE}
    if day < today - datetime.timedelta(days=REPORT_DAYS):
        return {field: MSG_DATE_LATE % {"date": day.isoformat(), "days": REPORT_DAYS}}
    return {}


def _check_institution(actor: User, registration: Registration) -> bool:
    """Whether ``actor`` is staff of the main institution (True) or of a site in force (False)."""
    if actor.role != Role.INSTITUTION or actor.institution_id is None:
        raise NotAllowed(MSG_NOT_AT_INSTITUTION)
    if registration.institution_id == actor.institution_id:
        return True
    if registration.sites.filter(institution_id=actor.institution_id, ended_on__isnull=True).exists():
        return False
    raise NotAllowed(MSG_NOT_AT_INSTITUTION)


def departed_from_main(registration: Registration) -> InstitutionReport | None:
    """The departure from the present main institution, if one is on record."""
    return (
        registration.reports.filter(kind=Kind.DEPARTURE, main=True, institution_id=registration.institution_id)
        .order_by("-occurred_on", "-pk")
        .first()
    )


def departure_check(
    *, registration: Registration, actor: User, reason: str, left_on, today: datetime.date | None = None
) -> bool:
    """Everything ``departure_report`` checks, without writing; returns whether it is the main institution."""
    today = today or timezone.localdate()
    main = _check_institution(actor, registration)
    if registration.state not in (RegState.ACTIVE, RegState.SUSPENDED):
        raise AlreadyHandled(register.MSG_REGISTRATION_MOVED % {"state": registration.get_state_display()})
    if main and departed_from_main(registration) is not None:
        raise AlreadyHandled(MSG_ALREADY_DEPARTED % {"name": registration.physician.real_name})
    errors = {} if reason in InstitutionReport.Reason.values else {"reason": MSG_REASON}
    errors.update(report_date_errors(field="left_on", day=left_on, today=today))
    if errors:
        raise ValidationError(errors)
    return main


@transaction.atomic
def departure_report(
    *,
    registration: Registration,
    actor: User,
    reason: str,
    left_on: datetime.date,
    comment: str = "",
    today: datetime.date | None = None,
) -> InstitutionReport:
    """离岗备案: file the departure, end the institution's filing, write the audit row, tell the physician."""
    Registration.objects.select_for_update().filter(pk=registration.pk).exists()  # one report at a time
    main = departure_check(registration=registration, actor=actor, reason=reason, left_on=left_on, today=today)
    report = InstitutionReport.objects.create(
        registration=registration,
        institution_id=actor.institution_id,
        kind=Kind.DEPARTURE,
        reason=reason,
        occurred_on=left_on,
        main=main,
        comment=comment.strip(),
        reported_by=actor,
    )
    RegistrationChange.objects.create(
        registration=registration,
        actor=actor,
        actor_role=actor.role,
        from_state=registration.state,
        to_state=registration.state,
        comment=f"离岗备案：{actor.institution.name}，{report.get_reason_display()}，{left_on.isoformat()}"
        + (f"。{report.comment}" if report.comment else ""),
    )
    for site in PracticeSite.objects.filter(
        registration=registration, institution_id=actor.institution_id, ended_on__isnull=True
    ).select_related("institution", "registration__institution", "registration__physician"):
        site.ended_on = left_on
        site.save(update_fields=["ended_on"])
        notify_site_ended(site=site, early=True)
    notify_departure(report=report)
    return report


def cancellation_check(
    *, registration: Registration, actor: User, ground: str, occurred_on, today: datetime.date | None = None
) -> Ground:
    """Everything ``cancellation_report`` checks, without writing; returns the ground."""
    today = today or timezone.localdate()
    _check_institution(actor, registration)
    if registration.state not in (RegState.ACTIVE, RegState.SUSPENDED):
        raise AlreadyHandled(register.MSG_REGISTRATION_MOVED % {"state": registration.get_state_display()})
    if registration.reports.filter(kind=Kind.CANCELLATION, outcome=Outcome.OPEN).exists():
        raise AlreadyHandled(MSG_ALREADY_REPORTED % {"name": registration.physician.real_name})
    errors = {}
    chosen = None
    if ground in NOT_REPORTED:
        errors["ground"] = MSG_GROUND_NOT_REPORTED
    else:
        try:
            chosen = ground_get(kind=Ground.Kind.CANCELLATION, code=ground)
        except ValidationError as error:
            errors.update(error.message_dict)
    errors.update(report_date_errors(field="occurred_on", day=occurred_on, today=today))
    if errors:
        raise ValidationError(errors)
    return chosen


@transaction.atomic
def cancellation_report(
    *,
    registration: Registration,
    actor: User,
    ground: str,
    occurred_on: datetime.date,
    comment: str = "",
    today: datetime.date | None = None,
) -> InstitutionReport:
    """An institution reports a ground for cancellation; the authority confirms it from its queue."""
    Registration.objects.select_for_update().filter(pk=registration.pk).exists()
    chosen = cancellation_check(
        registration=registration, actor=actor, ground=ground, occurred_on=occurred_on, today=today
    )
    return InstitutionReport.objects.create(
        registration=registration,
        institution_id=actor.institution_id,
        kind=Kind.CANCELLATION,
        ground=chosen,
        occurred_on=occurred_on,
        main=registration.institution_id == actor.institution_id,
        comment=comment.strip(),
        reported_by=actor,
    )


def ground_choices_reported() -> list[tuple[str, str]]:
    """The cancellation grounds an institution may report, in the law's order."""
    from .grounds import ground_choices

    return [(code, text) for code, text in ground_choices(Ground.Kind.CANCELLATION) if code not in NOT_REPORTED]


# ---- The authority ------------------------------------------------------------------------


def _handle(*, report: InstitutionReport, actor: User, outcome: str, comment: str) -> InstitutionReport:
    if actor.role != Role.AUTHORITY or not register.may_act_on_registration(actor, report.registration):
        raise NotAllowed(register.MSG_NOT_YOURS)
    updated = InstitutionReport.objects.filter(pk=report.pk, outcome=Outcome.OPEN).update(
        outcome=outcome, handled_by=actor, handled_at=timezone.now(), handled_comment=comment.strip()
    )
    if updated != 1:
        raise AlreadyHandled(MSG_REPORT_HANDLED)
    report.refresh_from_db()
    return report


@transaction.atomic
def report_note(*, report: InstitutionReport, actor: User, comment: str = "") -> InstitutionReport:
    """The authority has recorded a departure (备案); it leaves the queue."""
    if report.kind != Kind.DEPARTURE:
        raise AlreadyHandled(MSG_REPORT_HANDLED)
    return _handle(report=report, actor=actor, outcome=Outcome.NOTED, comment=comment)


@transaction.atomic
def report_confirm(*, report: InstitutionReport, actor: User, comment: str = "") -> InstitutionReport:
    """The authority confirms a reported ground: the registration is cancelled on it (audit row, notices)."""
    if report.kind != Kind.CANCELLATION:
        raise AlreadyHandled(MSG_REPORT_HANDLED)
    report = _handle(report=report, actor=actor, outcome=Outcome.CANCELLED, comment=comment)
    note = f"{report.institution.name}报告（{report.occurred_on.isoformat()}）" + (
        f"：{report.comment}" if report.comment else ""
    )
    register.registration_cancel(
        registration=report.registration,
        actor=actor,
        ground=report.ground.code,
        comment=note + (f"；{comment.strip()}" if comment.strip() else ""),
    )
    return report


@transaction.atomic
def report_reject(*, report: InstitutionReport, actor: User, comment: str = "") -> InstitutionReport:
    """The authority does not confirm a reported ground; the institution is told why."""
    if not comment.strip():
        raise ValidationError({"comment": MSG_REJECT_REASON})
    if report.kind != Kind.CANCELLATION:
        raise AlreadyHandled(MSG_REPORT_HANDLED)
    report = _handle(report=report, actor=actor, outcome=Outcome.REJECTED, comment=comment)
    notify_report_rejected(report=report)
    return report


# ---- Beat -----------------------------------------------------------------------------------


def departures_cancel_after_two_years(*, today: datetime.date | None = None) -> int:
    """Beat: two years after leaving the main institution with no new one, the registration is cancelled.

    One query finds them: departures two years old or more from the institution that is still
    the registration's main one (a registration that has moved since is left out in SQL, so the
    old departures that only grow in number are never read), then one move per registration.
    """
    today = today or timezone.localdate()
    ground = Ground.objects.get(kind=Ground.Kind.CANCELLATION, code="departure_two_years")
    due = (
        InstitutionReport.objects.filter(
            kind=Kind.DEPARTURE,
            main=True,
            occurred_on__lte=calendar.add_years(today, -DEPARTURE_YEARS),
            registration__state__in=(RegState.ACTIVE, RegState.SUSPENDED),
            registration__institution_id=F("institution_id"),  # no new main institution since
        )
        .select_related("registration", "institution")
        .order_by("occurred_on", "pk")
    )
    cancelled = 0
    for report in due:
        registration = report.registration
        try:
            register.registration_move(
                registration=registration,
                to_state=RegState.CANCELLED,
                actor=None,
                ground=ground,
                comment=f"{report.institution.name}离岗（{report.get_reason_display()}，{report.occurred_on.isoformat()}）",
                today=today,
            )
        except AlreadyHandled:
            continue
        cancelled += 1
    return cancelled
