"""Notifications are never lost: written with the state change, sent after commit, retried, sent once."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from docregistry.accounts.sms.locmem import SmsBackend as LocmemBackend
from docregistry.registrations import services
from docregistry.registrations.models import Application, Notification
from docregistry.registrations.tasks import MAX_ATTEMPTS, dispatch_pending, send_notification
from tests.factories import PASSWORD

from .sms import DownProviderBackend

DOWN = "tests.integration.sms.DownProviderBackend"


@pytest.fixture
def physician_client(client, world):
    assert client.login(username=world.physician.username, password=PASSWORD)
    return client


@pytest.fixture
def provider_down(settings):
    DownProviderBackend.calls = 0
    settings.SMS_BACKEND = DOWN
    return DownProviderBackend


def submit_over_http(client, application):
    return client.post(reverse("physicians:application_submit", args=[application.pk]))


def receipts(world):
    return Notification.objects.filter(recipient=world.physician.mobile, channel=Notification.Channel.SMS)


def test_submission_writes_the_notification_with_the_change_and_sends_it_after_commit(
    physician_client, world, sms_outbox, django_capture_on_commit_callbacks
):
    application = world.draft()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = submit_over_http(physician_client, application)
        assert response.status_code == 302
        # written in the same transaction as the state change, not yet sent: sending waits for the commit
        [row] = receipts(world)
        assert row.state == Notification.State.PENDING and row.application_id == application.pk
        assert sms_outbox == []
    assert callbacks
    row.refresh_from_db()
    assert row.state == Notification.State.SENT and row.attempts == 1 and row.sent_at is not None
    [sms] = [m for m in sms_outbox if m.to == world.physician.mobile]
    application.refresh_from_db()
    assert application.number in sms.body


def test_a_change_that_is_rolled_back_leaves_no_notification(world, sms_outbox, django_capture_on_commit_callbacks):
    application = world.submitted()
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.application_approve_by_institution(application=application, actor=world.staff)
        assert Notification.objects.exists()
        raise RuntimeError("something later in the request failed")
    assert not Notification.objects.exists()
    assert sms_outbox == []
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED


def test_provider_down_the_submission_succeeds_and_the_sweeper_sends_it_once_the_provider_is_back(
    physician_client, world, sms_outbox, settings, provider_down, django_capture_on_commit_callbacks
):
    application = world.draft()
    with django_capture_on_commit_callbacks(execute=True):
        response = submit_over_http(physician_client, application)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED
    [row] = receipts(world)
    assert row.state == Notification.State.PENDING
    assert row.attempts == 1  # one try, no retry loop inside the request
    assert provider_down.calls == 1
    assert "provider unreachable" in row.last_error
    assert row.next_attempt_at > timezone.now()

    # not due yet: the sweeper leaves it alone
    assert dispatch_pending() == 0
    # the retry is due (and the retry message was lost), the provider is back
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    settings.SMS_BACKEND = "docregistry.accounts.sms.locmem.SmsBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_pending() >= 1
    row.refresh_from_db()
    assert row.state == Notification.State.SENT and row.attempts == 2
    assert len([m for m in sms_outbox if m.to == world.physician.mobile]) == 1

    # running the task again (a duplicate message, a second sweep) sends nothing more
    assert send_notification.delay(row.pk).result == "skipped"
    assert dispatch_pending(grace_seconds=0) == 0
    assert len([m for m in sms_outbox if m.to == world.physician.mobile]) == 1


def test_a_notification_that_keeps_failing_is_marked_failed_and_left_alone(world, provider_down, client, settings):
    application = world.submitted()
    [row] = receipts(world).filter(application=application)
    Notification.objects.exclude(pk=row.pk).delete()  # only this one matters here
    Notification.objects.filter(pk=row.pk).update(
        attempts=MAX_ATTEMPTS - 1, next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert send_notification.delay(row.pk).result == "failed"
    row.refresh_from_db()
    assert row.state == Notification.State.FAILED and row.attempts == MAX_ATTEMPTS
    assert "provider unreachable" in row.last_error
    assert dispatch_pending(grace_seconds=0) == 0
    # the operator sees it on the health page
    settings.HEALTHZ_TOKEN = "t"
    assert client.get("/healthz", HTTP_X_HEALTH_TOKEN="t").json()["outbox"]["failed"] >= 1


def test_broker_down_the_submission_succeeds_quickly_and_is_sent_once_the_broker_is_back(
    physician_client, world, sms_outbox, broker_down, django_capture_on_commit_callbacks
):
    application = world.draft()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = submit_over_http(physician_client, application)
    assert response.status_code == 302
    assert time.monotonic() - started < 3, "a dead broker must not hang the request"
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED
    [row] = receipts(world)
    assert row.state == Notification.State.PENDING and row.attempts == 0
    assert sms_outbox == []
    # the periodic sweep while the broker is still down queues nothing and does not raise
    assert dispatch_pending.run(grace_seconds=0) == 0


def test_after_the_broker_comes_back_the_sweeper_sends_what_was_left_pending(
    physician_client, world, sms_outbox, django_capture_on_commit_callbacks
):
    from .conftest import DEAD_BROKER, celery_broker

    application = world.draft()
    with celery_broker(DEAD_BROKER), django_capture_on_commit_callbacks(execute=True):
        assert submit_over_http(physician_client, application).status_code == 302
    [row] = receipts(world)
    assert row.state == Notification.State.PENDING
    # broker back (eager here; a real worker in test_worker.py)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_pending(grace_seconds=0) == 2  # the SMS receipt and the e-mail
    row.refresh_from_db()
    assert row.state == Notification.State.SENT
    assert dispatch_pending(grace_seconds=0) == 0
    assert len([m for m in sms_outbox if m.to == world.physician.mobile]) == 1


class SlowProviderBackend(LocmemBackend):
    """A provider that takes a while to answer, so two workers overlap."""

    def send_messages(self, messages):
        time.sleep(0.5)
        return super().send_messages(messages)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the reference data
def test_two_workers_given_the_same_notification_send_it_once(settings, sms_outbox):
    settings.SMS_BACKEND = f"{__name__}.SlowProviderBackend"
    row = Notification.objects.create(channel=Notification.Channel.SMS, recipient="13900000000", body="once")
    results = []

    def worker():
        try:
            results.append(send_notification.apply(args=(row.pk,)).result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["sent", "skipped"]
    assert [m.body for m in sms_outbox] == ["once"]
    row.refresh_from_db()
    assert row.state == Notification.State.SENT and row.attempts == 1
