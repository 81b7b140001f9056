"""Background work: sending notifications from the outbox."""

import logging
from datetime import timedelta

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from docregistry.accounts.sms import SmsError, send_sms

from .models import Notification

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=8, acks_late=True)
def send_notification(self, notification_id: int) -> str:
    """Send one outbox row. Idempotent: a row already sent is not sent again."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.state == Notification.State.SENT:
            return "skipped"
        notification.attempts += 1
        try:
            if notification.channel == Notification.Channel.SMS:
                send_sms(notification.recipient, notification.body)
            else:
                send_mail(notification.subject, notification.body, None, [notification.recipient])
        except (SmsError, OSError) as exc:
            notification.last_error = str(exc)[:2000]
            notification.save(update_fields=["attempts", "last_error"])
            logger.warning("notification %s failed (attempt %s): %s", notification_id, notification.attempts, exc)
            failed = True
        else:
            notification.state = Notification.State.SENT
            notification.sent_at = timezone.now()
            notification.save(update_fields=["state", "sent_at", "attempts"])
            logger.info("notification %s sent by %s to %s", notification_id, notification.channel, notification.recipient)
            failed = False
    if failed:
        raise self.retry(countdown=min(2**self.request.retries * 10, 3600))
    return "sent"


@shared_task
def dispatch_pending(older_than_seconds: int = 60) -> int:
    """Re-queue notifications still pending (the broker was down when they were written)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(state=Notification.State.PENDING, created_at__lte=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    for notification_id in ids:
        send_notification.delay(notification_id)
    return len(ids)
