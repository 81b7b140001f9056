"""The beat schedule: reminders to institutions, clerks and physicians, and purging old SMS codes."""

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from docregistry.accounts.models import SmsCode
from docregistry.celery import app as celery_app
from docregistry.registrations import calendar, reminders
from docregistry.registrations.models import Application, Authority, Notification, Region, Registration
from docregistry.registrations.tasks import (
    purge_expired_sms_codes,
    remind_authorities,
    remind_institutions,
    warn_two_year_line,
)
from tests.factories import ClerkFactory, InstitutionFactory, PhysicianFactory, application_for, qualification_for


@pytest.fixture
def sent(sms_outbox, django_capture_on_commit_callbacks):
    """Run a task and return the SMS it caused, as (to, body) pairs."""

    def run(task, **kwargs):
        before = len(sms_outbox)
        with django_capture_on_commit_callbacks(execute=True):
            task.delay(**kwargs)
        return [(m.to, m.body) for m in sms_outbox[before:]]

    return run


def age(application: Application, **delta) -> None:
    """Pretend the application was submitted (and confirmed) that long ago."""
    then = timezone.now() - timedelta(**delta)
    Application.objects.filter(pk=application.pk).update(submitted_at=then, institution_decided_at=then)


def test_the_beat_schedule_names_only_registered_tasks():
    schedule = celery_app.conf.beat_schedule
    assert {"dispatch-pending-notifications", "remind-institutions", "remind-authorities"} <= set(schedule)
    assert {"warn-two-year-line", "purge-expired-sms-codes"} <= set(schedule)
    celery_app.loader.import_default_modules()
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks, entry["task"]


def test_an_institution_with_applications_waiting_over_three_days_is_reminded_once_a_day(world, sent):
    old = world.submitted()
    age(old, days=4)
    other = InstitutionFactory(mobile="13800000099")
    recent = application_for(PhysicianFactory(), other)
    recent_submitted = Application.objects.filter(pk=recent.pk)
    recent_submitted.update(state=Application.State.SUBMITTED, submitted_at=timezone.now() - timedelta(days=1))

    messages = sent(remind_institutions)
    assert [to for to, _ in messages] == [world.institution.mobile]  # not the institution with a 1-day-old one
    assert "1" in messages[0][1] and "3" in messages[0][1]
    # the beat runs again the same day: nothing more
    assert sent(remind_institutions) == []
    assert Notification.objects.filter(key__startswith="remind:institution:").count() == 1
    # the next day it is still waiting: one more reminder
    assert reminders.institution_reminders_queue(now=timezone.now() + timedelta(days=1)) == 1


def test_several_waiting_applications_make_one_reminder_per_institution(world, sent):
    for _ in range(3):
        application = application_for(PhysicianFactory(), world.institution)
        Application.objects.filter(pk=application.pk).update(
            state=Application.State.SUBMITTED, submitted_at=timezone.now() - timedelta(days=5)
        )
    messages = sent(remind_institutions)
    assert len(messages) == 1
    assert "3" in messages[0][1]


def test_clerks_of_the_jurisdiction_are_reminded_of_applications_waiting_over_five_days(world, sent):
    world.clerk.mobile = "13600000001"
    world.clerk.save(update_fields=["mobile"])
    province_clerk = ClerkFactory(
        mobile="13600000002",
        authority=Authority.objects.create(name="北京市卫健委", region=Region.objects.get(pk="110000")),
    )
    elsewhere = ClerkFactory(
        mobile="13600000003",
        authority=Authority.objects.create(name="上海市卫健委", region=Region.objects.get(pk="310000")),
    )
    application = world.institution_approved()
    age(application, days=4)
    assert sent(remind_authorities) == []  # four days is not yet too long

    age(application, days=6)
    messages = sent(remind_authorities)
    recipients = sorted(to for to, _ in messages)
    assert recipients == sorted([world.clerk.mobile, province_clerk.mobile])
    assert elsewhere.mobile not in recipients
    assert sent(remind_authorities) == []  # once a day


def _qualified_days_ago(physician, days, **fields):
    return qualification_for(physician, obtained_on=timezone.localdate() - timedelta(days=days), **fields)


def test_a_physician_nearing_the_two_year_line_without_registration_is_warned_once(db, sent):
    today = timezone.localdate()
    two_years_ago = calendar.add_years(today, -2)
    nearing = PhysicianFactory()
    qualification = qualification_for(nearing, obtained_on=two_years_ago + timedelta(days=30))
    fresh = PhysicianFactory()
    _qualified_days_ago(fresh, 200)
    past_the_line = PhysicianFactory()
    qualification_for(past_the_line, obtained_on=two_years_ago - timedelta(days=10))

    messages = sent(warn_two_year_line)
    assert [to for to, _ in messages] == [nearing.mobile]
    deadline = calendar.add_years(qualification.obtained_on, 2)
    assert deadline.isoformat() in messages[0][1]
    assert sent(warn_two_year_line) == []  # warned once, not every day


def test_no_two_year_warning_with_a_registration_or_an_application_on_its_way(world, sent):
    two_years_ago = calendar.add_years(timezone.localdate(), -2)
    near = two_years_ago + timedelta(days=20)
    # the world's physician has submitted an application
    world.qualification.obtained_on = near
    world.qualification.save(update_fields=["obtained_on"])
    world.submitted()
    registered = PhysicianFactory()
    qualification_for(registered, obtained_on=near)
    Registration.objects.create(
        physician=registered,
        certificate_code="110110105000999",
        institution=world.institution,
        authority=world.authority,
        level="physician",
        category="clinical",
        scope="内科专业",
        effective_on=timezone.localdate(),
    )
    assert sent(warn_two_year_line) == []


def test_add_years_handles_the_29th_of_february():
    assert calendar.add_years(datetime.date(2024, 2, 29), 2) == datetime.date(2026, 2, 28)
    assert calendar.add_years(datetime.date(2026, 11, 26), -2) == datetime.date(2024, 11, 26)


def test_sms_codes_expired_more_than_a_day_ago_are_purged(db):
    now = timezone.now()

    def code(expires_at):
        return SmsCode.objects.create(mobile="13900000001", purpose="activate", code_hash="x", expires_at=expires_at)

    old = code(now - timedelta(days=2))
    recent = code(now - timedelta(hours=1))
    valid = code(now + timedelta(minutes=10))
    assert purge_expired_sms_codes.delay().result == 1
    remaining = set(SmsCode.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, valid.pk}
    assert old.pk not in remaining


def test_old_texts_with_codes_or_passwords_are_blanked_but_application_notifications_kept(world):
    application = world.submitted()
    code = Notification.objects.create(
        channel="sms", recipient="13900000001", body="验证码 123456", state=Notification.State.SENT
    )
    fresh = Notification.objects.create(
        channel="sms", recipient="13900000001", body="验证码 654321", state=Notification.State.SENT
    )
    waiting = Notification.objects.create(channel="sms", recipient="13900000001", body="验证码 111111")
    Notification.objects.filter(pk__in=[code.pk, waiting.pk]).update(created_at=timezone.now() - timedelta(days=2))
    Notification.objects.filter(application=application).update(
        state=Notification.State.SENT, created_at=timezone.now() - timedelta(days=2)
    )
    purge_expired_sms_codes.delay()
    bodies = dict(Notification.objects.values_list("pk", "body"))
    assert bodies[code.pk] == reminders.REDACTED
    assert bodies[fresh.pk] == "验证码 654321"  # still within the day
    assert bodies[waiting.pk] == "验证码 111111"  # not sent yet: needed to send it
    for notification in Notification.objects.filter(application=application):
        assert notification.body != reminders.REDACTED


def _queries(function, **kwargs) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function(**kwargs)
    return len(captured.captured_queries)


def test_reminders_take_the_same_queries_for_one_or_many_recipients(world, django_capture_on_commit_callbacks):
    """Set-based: a grouped count, one read of the recipients, one bulk write, however many are reminded."""
    two_years_ago = calendar.add_years(timezone.localdate(), -2)

    def add(count: int) -> None:
        for _ in range(count):
            institution = InstitutionFactory()
            application = application_for(PhysicianFactory(), institution)
            Application.objects.filter(pk=application.pk).update(
                state=Application.State.INSTITUTION_APPROVED,
                submitted_at=timezone.now() - timedelta(days=9),
                institution_decided_at=timezone.now() - timedelta(days=9),
            )
            submitted = application_for(PhysicianFactory(), institution)
            Application.objects.filter(pk=submitted.pk).update(
                state=Application.State.SUBMITTED, submitted_at=timezone.now() - timedelta(days=9)
            )
            qualification_for(PhysicianFactory(), obtained_on=two_years_ago + timedelta(days=10))
            ClerkFactory(authority=Authority.objects.create(name="区卫健委", region_id="110105"), mobile="13600000002")

    tasks = (
        reminders.institution_reminders_queue,
        reminders.authority_reminders_queue,
        reminders.two_year_warnings_queue,
    )
    add(1)
    with django_capture_on_commit_callbacks():
        few = [_queries(task) for task in tasks]
    Notification.objects.all().delete()
    add(5)
    with django_capture_on_commit_callbacks():
        many = [_queries(task) for task in tasks]
    assert many == few
    assert Notification.objects.filter(key__startswith="remind:institution:").count() == 6
    assert Notification.objects.filter(key__startswith="remind:two-year:").count() == 6


def test_the_two_year_warning_reads_only_physicians_not_warned_yet(db, sent):
    """An anti-join on the outbox key: a physician already warned is not read again, day after day."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qualifications.models import Qualification
    from tests.queries import Selects

    two_years_ago = calendar.add_years(timezone.localdate(), -2)

    def add(count: int) -> None:
        for n in range(count):
            qualification_for(PhysicianFactory(), obtained_on=two_years_ago + timedelta(days=10 + n))

    def run() -> tuple[int, int, Selects]:
        with CaptureQueriesContext(connection) as queries, Selects(Qualification._meta.db_table) as selects:
            messages = sent(warn_two_year_line)
        return len(messages), len(queries.captured_queries), selects

    add(1)
    assert run()[0] == 1
    warned, queries_one, selects = run()
    assert warned == 0 and len(selects.statements) == 1
    assert selects.rows() == [[]]  # the second run's query returns no row
    add(5)
    assert len(selects.rows()[0]) == 5  # the same query now: the five new physicians, not the one warned
    assert run()[0] == 5
    warned, queries_six, selects = run()
    assert (warned, selects.rows()) == (0, [[]])
    assert queries_six == queries_one  # six physicians warned: the same queries as for one
    assert Notification.objects.filter(key__startswith="remind:two-year:").count() == 6
