"""The authority's 20-working-day clock (SPEC section 10): started by 受理, paused by 补正, by the holiday calendar."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from docregistry.registrations import calendar, presentation, services
from docregistry.registrations.models import Application
from docregistry.registrations.paper_models import CalendarDay

State = Application.State


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_twenty_working_days_from_30_september_2026_skip_national_day_and_count_its_make_up_day(db):
    # 1–7 October are holidays; Saturday 10 October is a make-up working day (seeded from chinese-calendar).
    assert CalendarDay.objects.get(date=datetime.date(2026, 10, 10)).kind == CalendarDay.Kind.WORKDAY
    assert CalendarDay.objects.get(date=datetime.date(2026, 10, 5)).kind == CalendarDay.Kind.HOLIDAY
    assert calendar.working_days_after(datetime.date(2026, 9, 30), 20) == datetime.date(2026, 11, 3)
    assert calendar.deadline(datetime.date(2026, 9, 30)) == datetime.date(2026, 11, 3)  # Monday–Friday said 10-28
    assert calendar.working_days_between(datetime.date(2026, 9, 30), datetime.date(2026, 10, 12)) == 4


def test_the_calendar_is_read_in_one_query_whatever_the_span(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        # Spring Festival: 15–23 February off, Saturdays 14 and 28 February worked.
        assert calendar.working_days_after(datetime.date(2026, 1, 30), 20) == datetime.date(2026, 3, 5)
    import chinese_calendar  # the package the data came from, as an independent count

    start = datetime.date(2026, 1, 1)
    expected = sum(chinese_calendar.is_workday(start + datetime.timedelta(days=n)) for n in range(1, 365))
    with django_assert_num_queries(1):
        assert calendar.working_days_between(start, datetime.date(2026, 12, 31)) == expected


def test_an_operator_edit_of_the_calendar_moves_a_running_deadline(world):
    application = world.institution_approved()
    accepted = services.application_accept_by_authority(application=application, actor=world.clerk)
    due = accepted.decision_due_on
    CalendarDay.objects.create(date=due, kind=CalendarDay.Kind.HOLIDAY, name="地方假日")
    assert calendar.deadlines_recompute() == 1
    accepted.refresh_from_db()
    assert accepted.decision_due_on == calendar.working_days_after(due, 1)


def test_the_clock_starts_when_the_authority_accepts_and_records_who(world, django_capture_on_commit_callbacks):
    application = world.institution_approved()
    clock = presentation.decision_clock(application)
    assert clock["pending"] and "deadline" not in clock  # forwarded, not accepted: no clock yet
    with django_capture_on_commit_callbacks(execute=True):
        application = services.application_accept_by_authority(application=application, actor=world.clerk)
    assert application.state == State.INSTITUTION_APPROVED
    assert application.accepted_by == world.clerk
    today = timezone.localdate()
    assert application.decision_due_on == calendar.working_days_after(today, 20)
    clock = presentation.decision_clock(application, today=today)
    assert (clock["elapsed"], clock["deadline"], clock["overdue"]) == (0, application.decision_due_on, False)
    last = application.status_changes.last()
    assert last.actor == world.clerk and application.decision_due_on.isoformat() in last.comment
    with pytest.raises(services.AlreadyHandled):
        services.application_accept_by_authority(application=application, actor=world.clerk)


def test_a_return_for_missing_materials_pauses_the_clock_and_resubmission_resumes_it(world):
    application = world.institution_approved()
    Application.objects.filter(pk=application.pk).update(
        accepted_at=at(datetime.date(2026, 9, 30)), decision_due_on=datetime.date(2026, 11, 3)
    )
    application.refresh_from_db()
    # Returned on Monday 12 October (working day 4), back on Friday 16 October: 4 working days paused (13–16).
    application = services.application_return_by_authority(
        application=application, actor=world.clerk, comment="缺少劳动合同"
    )
    Application.objects.filter(pk=application.pk).update(clock_paused_on=datetime.date(2026, 10, 12))
    application.refresh_from_db()
    paused = presentation.decision_clock(application, today=datetime.date(2026, 10, 14))
    assert paused["paused"] and paused["deadline"] is None
    assert paused["elapsed"] == 4
    assert presentation.decision_clock(application, today=datetime.date(2026, 10, 15))["elapsed"] == 4  # stopped

    updates = calendar.clock_resume_updates(application, today=datetime.date(2026, 10, 16))
    assert updates == {
        "clock_paused_on": None,
        "clock_paused_days": 4,
        "decision_due_on": datetime.date(2026, 11, 9),  # 11-03 plus four working days
    }
    Application.objects.filter(pk=application.pk).update(**updates)
    application.refresh_from_db()
    running = presentation.decision_clock(application, today=datetime.date(2026, 10, 19))
    assert (running["paused"], running["elapsed"], running["deadline"]) == (False, 5, datetime.date(2026, 11, 9))


def test_resubmission_through_the_services_resumes_the_clock(world):
    application = world.institution_approved()
    application = services.application_accept_by_authority(application=application, actor=world.clerk)
    first_due = application.decision_due_on
    application = services.application_return_by_authority(application=application, actor=world.clerk, comment="补正")
    assert application.clock_paused_on == timezone.localdate() and application.decision_due_on is None
    application = services.application_submit(application=application, actor=world.physician)
    paused = calendar.working_days_between(timezone.localdate() - datetime.timedelta(days=0), timezone.localdate())
    assert application.clock_paused_on is None
    assert application.clock_paused_days == paused
    assert application.decision_due_on == calendar.working_days_after(first_due, paused) if paused else first_due
    # Confirmed again by the institution, it is back with the authority, already accepted.
    application = services.application_approve_by_institution(application=application, actor=world.staff)
    assert not presentation.decision_clock(application)["pending"]


def test_a_return_before_acceptance_has_no_clock_to_pause(world):
    application = world.institution_approved()
    application = services.application_return_by_authority(application=application, actor=world.clerk, comment="补正")
    assert application.clock_paused_on is None and application.accepted_at is None
    assert presentation.decision_clock(application) is None


def test_no_clock_before_the_institution_confirmed_or_after_the_decision(world):
    assert presentation.decision_clock(world.submitted()) is None
    approved = world.approved()
    assert presentation.decision_clock(approved) is None
    assert approved.accepted_at is not None  # approving what was not accepted accepts it at the same moment


def test_the_clerk_accepts_on_the_review_page(client, world):
    application = world.institution_approved()
    client.force_login(world.clerk)
    page = client.get(reverse("authority:application", args=[application.pk])).content.decode()
    assert reverse("authority:accept", args=[application.pk]) in page and "data-confirm" in page
    response = client.post(reverse("authority:accept", args=[application.pk]), follow=True)
    application.refresh_from_db()
    assert application.accepted_by == world.clerk
    assert f"{application.decision_due_on:%Y-%m-%d}" in response.content.decode()
    again = client.post(reverse("authority:accept", args=[application.pk]), follow=True).content.decode()
    assert "已于" in again  # already accepted: said so, nothing changed


@pytest.mark.parametrize(
    ("who", "url_name"),
    [("physician", "physicians:application_detail"), ("staff", "institutions:application")],
)
def test_physician_and_institution_see_the_deadline(client, world, who, url_name):
    application = world.institution_approved()
    client.force_login(getattr(world, who))
    page = client.get(reverse(url_name, args=[application.pk])).content.decode()
    assert "受理" in page  # waiting for the authority to accept the paper materials
    application = services.application_accept_by_authority(application=application, actor=world.clerk)
    page = client.get(reverse(url_name, args=[application.pk])).content.decode()
    assert f"卫生健康行政部门应于 {application.decision_due_on:%Y-%m-%d} 前作出决定" in page


def test_the_operator_is_warned_when_next_year_is_not_loaded(db, capsys):
    today = timezone.localdate()
    CalendarDay.objects.filter(date__year=today.year + 1).delete()
    CalendarDay.objects.get_or_create(date=datetime.date(today.year, 10, 1), defaults={"kind": "holiday"})
    call_command("check")
    err = capsys.readouterr().err
    assert "registrations.W001" in err and str(today.year + 1) in err
    CalendarDay.objects.create(date=datetime.date(today.year + 1, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    call_command("check")
    assert "registrations.W001" not in capsys.readouterr().err


def test_the_admin_calendar_list_warns_too(admin_client, db):
    today = timezone.localdate()
    CalendarDay.objects.filter(date__year=today.year + 1).delete()
    page = admin_client.get(reverse("admin:registrations_calendarday_changelist")).content.decode()
    assert str(today.year + 1) in page and "Monday to Friday" not in page  # shown in Chinese
    assert "节假日安排" in page or "日历" in page


def test_clerks_are_reminded_by_the_same_clock(world, django_capture_on_commit_callbacks):
    from docregistry.registrations import reminders
    from docregistry.registrations.models import Notification

    world.clerk.mobile = "13600000001"
    world.clerk.save(update_fields=["mobile"])
    application = services.application_accept_by_authority(application=world.institution_approved(), actor=world.clerk)
    due = application.decision_due_on
    # Six working days before the deadline: not yet. Five: reminded, with the date the clock gives.
    six_before = calendar.WorkCalendar(due - datetime.timedelta(days=30), due)
    day = due
    while six_before.between(day, due) < 6:
        day -= datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks():
        assert reminders.authority_reminders_queue(now=at(day)) == 0
        later = calendar.working_days_after(day, 1)
        assert reminders.authority_reminders_queue(now=at(later)) == 1
    body = Notification.objects.get(key__startswith="remind:authority:").body
    assert calendar.working_days_after(later, 5).isoformat() in body and "20 个工作日" in body
    # Paused for 补正, the application is with the physician: nothing to remind the clerk of.
    services.application_return_by_authority(application=application, actor=world.clerk, comment="补正")
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks():
        assert reminders.authority_reminders_queue(now=at(due + datetime.timedelta(days=3))) == 0


# ---- An edit of the calendar in admin ---------------------------------------------------


def a_plain_working_day_after(day: datetime.date) -> datetime.date:
    """The first Monday–Friday after ``day`` the calendar holds no row for (neither holiday nor make-up day)."""
    day += datetime.timedelta(days=1)
    while day.weekday() >= 5 or CalendarDay.objects.filter(date=day).exists():
        day += datetime.timedelta(days=1)
    return day


def test_a_holiday_added_in_admin_moves_the_deadline_every_party_sees(
    client, admin_client, world, django_capture_on_commit_callbacks
):
    application = services.application_accept_by_authority(application=world.institution_approved(), actor=world.clerk)
    due = application.decision_due_on
    holiday = a_plain_working_day_after(timezone.localdate())
    assert holiday <= due
    moved = calendar.working_days_after(due, 1)
    with django_capture_on_commit_callbacks() as after_commit:
        response = admin_client.post(
            reverse("admin:registrations_calendarday_add"), {"date": holiday, "kind": "holiday", "name": "地方假日"}
        )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.decision_due_on == due  # the admin's request did not recompute the clocks itself
    for callback in after_commit:  # the commit queues the task (run in-process here)
        callback()
    application.refresh_from_db()
    assert application.decision_due_on == moved
    for user, url in [
        (world.physician, reverse("physicians:application_detail", args=[application.pk])),
        (world.staff, reverse("institutions:application", args=[application.pk])),
        (world.clerk, reverse("authority:application", args=[application.pk])),
    ]:
        client.force_login(user)
        page = client.get(url).content.decode()
        # the clock each portal shows (the SMS sent at acceptance keeps the date it gave then)
        assert f"应于 {moved:%Y-%m-%d} 前作出决定" in page and f"应于 {due:%Y-%m-%d} 前" not in page
    # Deleting the holiday again gives the old deadline back.
    day = CalendarDay.objects.get(date=holiday)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:registrations_calendarday_delete", args=[day.pk]), {"post": "yes"})
    application.refresh_from_db()
    assert application.decision_due_on == due


def test_with_the_broker_down_the_admin_request_recomputes_itself(
    admin_client, world, django_capture_on_commit_callbacks
):
    from tests.integration.conftest import DEAD_BROKER, celery_broker

    application = services.application_accept_by_authority(application=world.institution_approved(), actor=world.clerk)
    due = application.decision_due_on
    holiday = a_plain_working_day_after(timezone.localdate())
    with celery_broker(DEAD_BROKER), django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:registrations_calendarday_add"), {"date": holiday, "kind": "holiday", "name": "地方假日"}
        )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.decision_due_on == calendar.working_days_after(due, 1)


ACCEPTED_ON = datetime.date(2026, 9, 30)  # 20 working days: 2026-11-03 (National Day week off)
EDITED_DAY = datetime.date(2026, 10, 20)  # a Tuesday inside that span


def running_clocks(world, count: int, accepted_on: datetime.date) -> list[int]:
    from tests.factories import PhysicianFactory, application_for

    return [
        application_for(
            PhysicianFactory(),
            world.institution,
            state=State.INSTITUTION_APPROVED,
            accepted_at=at(accepted_on),
            accepted_by=world.clerk,
            decision_due_on=calendar.deadline(accepted_on),
        ).pk
        for _ in range(count)
    ]


def test_recompute_reads_only_the_clocks_an_edited_day_can_move_in_batches_of_constant_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.queries import Selects

    assert not CalendarDay.objects.filter(date=EDITED_DAY).exists()
    before = calendar.deadline(ACCEPTED_ON)
    assert before == datetime.date(2026, 11, 3)
    later = running_clocks(world, 3, EDITED_DAY)  # accepted on the day itself: the day is not theirs to count
    kept = {pk: due for pk, due in Application.objects.filter(pk__in=later).values_list("pk", "decision_due_on")}
    CalendarDay.objects.create(date=EDITED_DAY, kind=CalendarDay.Kind.HOLIDAY, name="地方假日")

    moved, queries = [], {}
    for count in (2, 4, 6):
        moved += running_clocks(world, count - len(moved), ACCEPTED_ON)
        Application.objects.filter(pk__in=moved).update(decision_due_on=before)  # as counted before the edit
        with CaptureQueriesContext(connection) as captured, Selects(Application._meta.db_table) as selects:
            assert calendar.deadlines_recompute(first=EDITED_DAY, last=EDITED_DAY, batch_size=2) == count
        queries[count] = len(captured.captured_queries)
        read = {row[0] for rows in selects.rows() for row in rows}
        assert read == set(moved)  # the clocks accepted on or after the edited day were not read
    assert queries[6] - queries[4] == queries[4] - queries[2] <= 5  # the same few queries per batch of 2
    assert set(Application.objects.filter(pk__in=moved).values_list("decision_due_on", flat=True)) == {
        datetime.date(2026, 11, 4)
    }
    assert dict(Application.objects.filter(pk__in=later).values_list("pk", "decision_due_on")) == kept
    # Without a span every running clock is recomputed; nothing is left to change.
    assert calendar.deadlines_recompute() == 0
