"""Background work: sending the outbox, sweeping what was left pending, reminders, housekeeping.

Every task loads its rows by id (or by a query), may run twice without sending
anything twice, and logs what it did. Provider errors are retried with
exponential back-off; the row itself records the attempts, the last error and
when the next attempt is due, so the periodic ``dispatch_pending`` can take
over whatever a lost broker message or a crashed worker left behind.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from docregistry.accounts import sms_limits
from docregistry.accounts.sms import SmsError, send_sms

from . import reminders, reviewform
from .models import Application, Notification
from .sealing import SENT_SEALED, SealExpired, is_sealed, unseal

logger = logging.getLogger(__name__)

# After this many failed attempts a notification is marked failed (about 4 hours of retries).
MAX_ATTEMPTS = 8
# A task that finds the row's next attempt further away than this has been overtaken by another delivery.
NOT_DUE_TOLERANCE = timedelta(seconds=5)


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failure: 30 s, 1 min, 2 min, … at most 1 h."""
    return min(30 * 2 ** max(attempts - 1, 0), 3600)


def _deliver(notification: Notification) -> None:
    try:
        body = unseal(notification.body)
    except SealExpired as exc:
        raise SmsError(str(exc)) from None
    if notification.channel == Notification.Channel.SMS:
        send_sms(notification.recipient, body)
    else:
        send_mail(notification.subject, body, None, [notification.recipient])


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_notification(self, notification_id: int) -> str:
    """Send one outbox row, at most once.

    The row is locked while it is sent, so two workers given the same id send
    it once; a row already sent or failed is skipped. On a provider error the
    attempt is recorded and the task retries after ``retry_delay`` (in eager
    mode it does not retry in-process: the row waits for ``dispatch_pending``).
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            logger.warning("notification %s: no such row, nothing sent", notification_id)
            return "missing"
        if notification.state != Notification.State.PENDING:
            logger.info("notification %s: already %s, nothing sent", notification_id, notification.state)
            return "skipped"
        now = timezone.now()
        if notification.next_attempt_at and notification.next_attempt_at > now + NOT_DUE_TOLERANCE:
            logger.info(
                "notification %s: next attempt due at %s, nothing sent", notification_id, notification.next_attempt_at
            )
            return "not due"
        notification.attempts += 1
        try:
            _deliver(notification)
        except (SmsError, OSError) as exc:  # OSError covers SMTP and socket errors
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.state = Notification.State.FAILED
                notification.next_attempt_at = None
                outcome = "failed"
                logger.error(
                    "notification %s failed for good after %s attempts: %s",
                    notification_id,
                    notification.attempts,
                    exc,
                )
            else:
                delay = retry_delay(notification.attempts)
                notification.next_attempt_at = timezone.now() + timedelta(seconds=delay)
                outcome = "retry"
                logger.warning(
                    "notification %s attempt %s failed (%s); next attempt in %ss",
                    notification_id,
                    notification.attempts,
                    exc,
                    delay,
                )
            notification.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
        else:
            notification.state = Notification.State.SENT
            notification.sent_at = timezone.now()
            notification.next_attempt_at = None
            fields = ["state", "sent_at", "attempts", "next_attempt_at"]
            if is_sealed(notification.body):  # the secret is delivered: keep no copy of it
                notification.body = SENT_SEALED
                fields.append("body")
            notification.save(update_fields=fields)
            outcome = "sent"
            logger.info(
                "notification %s sent by %s to %s (attempt %s)",
                notification_id,
                notification.channel,
                notification.recipient,
                notification.attempts,
            )
    if outcome == "retry" and not self.request.is_eager:
        raise self.retry(countdown=delay)
    return outcome


@shared_task
def dispatch_pending(grace_seconds: int = 60, limit: int = 500) -> int:
    """Queue again the pending notifications nobody is taking care of.

    That is: rows never attempted and older than ``grace_seconds`` (the broker
    was down when they were written), and rows whose next attempt is overdue by
    ``grace_seconds`` (the retry message was lost). Returns how many were queued.
    """
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    due = Notification.objects.filter(state=Notification.State.PENDING).filter(
        Q(next_attempt_at__isnull=True, created_at__lte=cutoff) | Q(next_attempt_at__lte=cutoff)
    )
    ids = list(due.order_by("created_at").values_list("pk", flat=True)[:limit])
    queued = 0
    for notification_id in ids:
        try:
            send_notification.delay(notification_id)
        except OperationalError as exc:
            logger.warning("dispatch_pending: broker unreachable after %s of %s: %s", queued, len(ids), exc)
            break
        queued += 1
    logger.info("dispatch_pending: %s pending notification(s) queued", queued)
    return queued


@shared_task
def remind_institutions(days: int = reminders.INSTITUTION_WAIT_DAYS) -> int:
    """Daily: each institution with applications waiting more than ``days`` days gets one SMS."""
    count = reminders.institution_reminders_queue(days=days)
    logger.info("remind_institutions: %s reminder(s) queued", count)
    return count


@shared_task
def remind_authorities(days: int = reminders.AUTHORITY_WAIT_DAYS) -> int:
    """Daily: each clerk whose jurisdiction has applications waiting more than ``days`` days gets one SMS."""
    count = reminders.authority_reminders_queue(days=days)
    logger.info("remind_authorities: %s reminder(s) queued", count)
    return count


@shared_task
def warn_two_year_line(days_before: int = reminders.TWO_YEAR_WARNING_DAYS) -> int:
    """Daily: warn physicians nearing two years since qualifying, still without a registration."""
    count = reminders.two_year_warnings_queue(days_before=days_before)
    logger.info("warn_two_year_line: %s warning(s) queued", count)
    return count


@shared_task
def purge_expired_sms_codes(older_than_days: int = 1) -> int:
    """Daily: delete SMS codes that expired more than ``older_than_days`` ago, and blank the old
    outbox texts that carried codes, one-time passwords or reset links."""
    count = reminders.sms_codes_purge(older_than=timedelta(days=older_than_days))
    sms_limits.quotas_purge()
    redacted = reminders.notifications_redact(older_than=timedelta(days=older_than_days))
    logger.info("purge_expired_sms_codes: %s code(s) deleted, %s notification text(s) blanked", count, redacted)
    return count


@shared_task
def refresh_reports() -> int:
    """Every few minutes: recompute each jurisdiction's report before its cached figures expire.

    The aggregates read the read replica where the report pages do (``REPLICA_VIEWS``)."""
    import contextlib

    from django.conf import settings

    from docregistry.replica import replica_reads

    from . import reports

    with replica_reads() if "authority:reports" in settings.REPLICA_VIEWS else contextlib.nullcontext():
        count = reports.reports_refresh()
    logger.info("refresh_reports: %s jurisdiction(s) recomputed", count)
    return count


@shared_task(ignore_result=True)
def prerender_review_forms(application_ids: list[int]) -> int:
    """Render and cache the review form PDFs of these applications (one, or a batch to be printed).

    Idempotent: a form already cached at its current version is not rendered again.
    """
    applications = list(
        Application.objects.select_related("institution", "physician")
        .exclude(state=Application.State.DRAFT)
        .filter(pk__in=application_ids)
    )
    if len(applications) == 1:
        reviewform.render_review_form(applications[0])
    elif applications:
        reviewform.render_review_forms(applications)
    logger.info("review forms of %s application(s) rendered or already cached", len(applications))
    return len(applications)


@shared_task
def lift_expired_suspensions() -> int:
    """Daily: a suspension whose last day has passed ends, and the registration is in force again."""
    from .register import suspensions_lift_expired

    count = suspensions_lift_expired()
    logger.info("lift_expired_suspensions: %s suspension(s) ended", count)
    return count


@shared_task
def end_expired_filings() -> int:
    """Daily: a filing (多机构备案) whose end date has passed ends; the physician and both institutions are told."""
    from .register import sites_end_expired

    count = sites_end_expired()
    logger.info("end_expired_filings: %s filing(s) ended", count)
    return count


@shared_task
def cancel_after_departures() -> int:
    """Daily: two years after leaving the main institution with no new one, the registration is cancelled."""
    from .institution_reports import departures_cancel_after_two_years

    count = departures_cancel_after_two_years()
    logger.info("cancel_after_departures: %s registration(s) cancelled", count)
    return count


@shared_task
def recompute_deadlines(first: str | None = None, last: str | None = None) -> int:
    """After an edit of the holiday calendar (days ``first``…``last``, ISO dates): the running deadlines it moves."""
    import datetime

    from .calendar import deadlines_recompute

    count = deadlines_recompute(
        first=datetime.date.fromisoformat(first) if first else None,
        last=datetime.date.fromisoformat(last) if last else None,
    )
    logger.info("recompute_deadlines: %s deadline(s) moved by the calendar days %s…%s", count, first, last)
    return count
