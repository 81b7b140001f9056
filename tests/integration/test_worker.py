"""The production path with real services: a Celery worker process on Redis and PostgreSQL.

Run with REDIS_URL=redis://… and DATABASE_URL=postgres://… (the second CI run);
skipped otherwise. The worker sends SMS to a file the test reads.
"""

import time

import pytest
from django.urls import reverse

from docregistry.accounts.sms.filebased import read_messages
from docregistry.registrations.models import Application, Notification
from docregistry.registrations.tasks import dispatch_pending, send_notification
from tests.factories import PASSWORD, World

from .conftest import DEAD_BROKER, celery_broker, wait_for

pytestmark = pytest.mark.celery_worker


def delivered_to(worker, mobile):
    return [m for m in read_messages(worker.sms_dir) if m["to"] == mobile]


def logged_in_physician(client, world):
    assert client.login(username=world.physician.username, password=PASSWORD)
    return client


def test_a_submission_over_http_is_delivered_by_the_worker(celery_worker, client):
    world = World.create()
    application = world.draft()
    response = logged_in_physician(client, world).post(reverse("physicians:application_submit", args=[application.pk]))
    assert response.status_code == 302
    request_id = response["X-Request-ID"]

    messages = wait_for(lambda: delivered_to(celery_worker, world.physician.mobile), timeout=30)
    assert messages, f"the worker delivered nothing:\n{celery_worker.output()[-3000:]}"
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED
    [sms] = messages
    assert application.number in sms["body"]
    row = Notification.objects.get(recipient=world.physician.mobile)
    assert wait_for(lambda: Notification.objects.get(pk=row.pk).state == Notification.State.SENT, timeout=10)
    # the e-mail receipt went out through the worker's e-mail backend too
    email = Notification.objects.get(recipient=world.physician.email)
    assert wait_for(lambda: Notification.objects.get(pk=email.pk).state == Notification.State.SENT, timeout=10)
    mail_files = list((celery_worker.sms_dir.parent / "var" / "mail").glob("*.log"))
    assert mail_files and application.number in "".join(f.read_text() for f in mail_files)
    # the worker logged one line for the task, carrying the id of the HTTP request that caused it
    assert wait_for(lambda: f"request_id={request_id}" in celery_worker.output(), timeout=10)
    assert "task=docregistry.registrations.tasks.send_notification state=SUCCESS" in celery_worker.output()


def test_redis_down_the_submission_succeeds_and_the_worker_sends_it_once_redis_is_back(celery_worker, client):
    world = World.create()
    application = world.draft()
    with celery_broker(DEAD_BROKER):  # this web process cannot reach Redis
        started = time.monotonic()
        response = logged_in_physician(client, world).post(
            reverse("physicians:application_submit", args=[application.pk])
        )
        assert response.status_code == 302
        assert time.monotonic() - started < 3
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED
    row = Notification.objects.get(recipient=world.physician.mobile)
    assert row.state == Notification.State.PENDING
    time.sleep(1)
    assert delivered_to(celery_worker, world.physician.mobile) == []

    # Redis is reachable again: the periodic sweep (run by the worker, as beat would queue it) sends it
    dispatch_pending.delay(grace_seconds=0)
    messages = wait_for(lambda: delivered_to(celery_worker, world.physician.mobile), timeout=30)
    assert len(messages) == 1, celery_worker.output()[-3000:]
    assert wait_for(lambda: Notification.objects.get(pk=row.pk).state == Notification.State.SENT, timeout=10)

    # another sweep and a duplicate task send nothing more
    dispatch_pending.delay(grace_seconds=0)
    send_notification.delay(row.pk)
    time.sleep(2)
    assert len(delivered_to(celery_worker, world.physician.mobile)) == 1


def test_redis_stopped_during_the_run_nothing_is_lost_and_it_is_sent_once_redis_is_back(
    worker_on_throwaway_redis, throwaway_redis, client
):
    worker = worker_on_throwaway_redis
    world = World.create()
    application = world.draft()

    throwaway_redis.stop()
    started = time.monotonic()
    response = logged_in_physician(client, world).post(reverse("physicians:application_submit", args=[application.pk]))
    assert response.status_code == 302
    assert time.monotonic() - started < 3, "a stopped Redis must not hang the request"
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED
    row = Notification.objects.get(recipient=world.physician.mobile)
    assert row.state == Notification.State.PENDING

    throwaway_redis.start()  # Redis is back; the worker reconnects on its own
    assert wait_for(lambda: worker.output().count("Connected to redis://") >= 2, timeout=40), worker.output()[-2000:]
    # beat's periodic sweep (here queued by hand) sends what was left pending
    wait_for(lambda: _queue_sweep(), timeout=10)
    messages = wait_for(lambda: delivered_to(worker, world.physician.mobile), timeout=30)
    assert len(messages) == 1, worker.output()[-3000:]
    assert wait_for(lambda: Notification.objects.get(pk=row.pk).state == Notification.State.SENT, timeout=10)
    _queue_sweep()
    time.sleep(2)
    assert len(delivered_to(worker, world.physician.mobile)) == 1


def _queue_sweep() -> bool:
    """Queue dispatch_pending; False if this process's broker connection is not usable yet."""
    from kombu.exceptions import OperationalError

    try:
        dispatch_pending.delay(grace_seconds=0)
    except OperationalError:
        return False
    return True
