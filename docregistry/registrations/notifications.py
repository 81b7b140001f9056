"""The outbox: notifications are rows written in the transaction that causes them.

``notification_queue`` writes the row and, once the transaction commits, asks
Celery to send it. If the broker is down the row stays ``pending`` and the
periodic ``dispatch_pending`` task sends it later; nothing is lost and the
request that caused it still succeeds.
"""

import logging

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Application, Notification

logger = logging.getLogger(__name__)


def notification_queue(
    *, channel: str, recipient: str, body: str, subject: str = "", application: Application | None = None
) -> Notification | None:
    if not recipient:
        return None
    notification = Notification.objects.create(
        channel=channel, recipient=recipient, body=body, subject=subject, application=application
    )
    transaction.on_commit(lambda: dispatch(notification.pk))
    return notification


def dispatch(notification_id: int) -> None:
    """Hand one notification to Celery; if the broker is unreachable, leave it for the sweeper."""
    from .tasks import send_notification

    try:
        send_notification.delay(notification_id)
    except Exception:  # the broker is down: dispatch_pending will pick it up
        logger.warning("notification %s not queued; broker unreachable, left pending", notification_id)


def notify_application_change(*, application: Application, actor, comment: str = "") -> None:
    """Tell the physician (and, on a final decision, the institution) what just happened."""
    with translation.override("zh-hans"):
        state = application.get_state_display()
        number = application.number or ""
        body = _("Your application %(number)s is now: %(state)s.") % {"number": number, "state": state}
        if comment:
            body += " " + _("Note: %(comment)s") % {"comment": comment}
        if application.practice_certificate_code and application.state == Application.State.AUTHORITY_APPROVED:
            body += " " + _("Practice certificate code: %(code)s.") % {"code": application.practice_certificate_code}
    physician = application.physician
    if actor.pk != physician.pk:
        notification_queue(channel=Notification.Channel.SMS, recipient=physician.mobile, body=body, application=application)
        if physician.email:
            notification_queue(
                channel=Notification.Channel.EMAIL,
                recipient=physician.email,
                subject=body[:100],
                body=body,
                application=application,
            )
    decided = application.state in (Application.State.AUTHORITY_APPROVED, Application.State.REFUSED) or (
        application.state == Application.State.RETURNED and getattr(actor, "role", "") == "authority"
    )
    if decided and application.institution_id and application.institution.mobile:
        with translation.override("zh-hans"):
            institution_body = _("Application %(number)s of %(name)s: %(state)s.") % {
                "number": number,
                "name": application.name,
                "state": state,
            }
        notification_queue(
            channel=Notification.Channel.SMS,
            recipient=application.institution.mobile,
            body=institution_body,
            application=application,
        )
