"""The outbox: notifications are rows written in the transaction that causes them.

``notification_queue`` writes the row and, once the transaction commits, asks
Celery to send it. If the broker is down the row stays ``pending`` and the
periodic ``dispatch_pending`` task sends it later; nothing is lost and the
request that caused it still succeeds.
"""

import logging
import time

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from docregistry.celery import app as celery_app
from docregistry.celery import enqueue

from .models import Application, Notification
from .sealing import seal

logger = logging.getLogger(__name__)


@transaction.atomic
def notification_queue(
    *,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    application: Application | None = None,
    key: str = "",
    sealed: bool = False,
) -> Notification | None:
    """Write one outbox row; it is sent once the surrounding transaction commits.

    ``key`` names what a reminder is about: a second row with the same key is
    not written (returns ``None``), so a reminder is never sent twice.
    """
    if not recipient:
        return None
    if sealed:  # an SMS code or a one-time password: never in clear in the outbox (see sealing.py)
        body = seal(body)
    if key:
        if Notification.objects.filter(key=key).exists():
            return None
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    channel=channel, recipient=recipient, body=body, subject=subject, application=application, key=key
                )
        except IntegrityError:  # written by a concurrent run a moment ago
            return None
    else:
        notification = Notification.objects.create(
            channel=channel, recipient=recipient, body=body, subject=subject, application=application
        )
    transaction.on_commit(lambda: dispatch(notification.pk))
    return notification


def notifications_queue_keyed(rows: list[dict]) -> int:
    """Write many keyed outbox rows at once (reminders); each is sent once the transaction commits.

    ``rows`` are the fields of ``Notification`` (``key`` required). A key already in the
    outbox is skipped, so a reminder is never sent twice, also when two runs overlap (the
    unique index decides: ``INSERT … ON CONFLICT DO NOTHING``). Four queries whatever the
    number of rows. Returns how many rows were written.
    """
    rows = [row for row in rows if row.get("recipient")]
    keys = [row["key"] for row in rows]
    if not keys:
        return 0
    existing = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [Notification(**row) for row in rows if row["key"] not in existing]
    with transaction.atomic():
        Notification.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=1000)
        # Ours are those still pending and never attempted (a concurrent run's are dispatched by it).
        ids = list(
            Notification.objects.filter(
                key__in=[n.key for n in fresh], state=Notification.State.PENDING, attempts=0
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: [dispatch(pk) for pk in ids])
    return len(ids)


SEND_TASK = "docregistry.registrations.tasks.send_notification"
# After the broker failed, don't make every following request wait for it again.
BROKER_RETRY_AFTER_SECONDS = 10
_broker_down_since: float | None = None


def dispatch(notification_id: int) -> bool:
    """Hand one notification to Celery; if the broker is unreachable, leave it for the sweeper.

    Never raises: the request that caused the notification has already
    committed and must succeed. Returns whether the notification was queued.
    """
    global _broker_down_since
    eager = celery_app.conf.task_always_eager
    recently_down = (
        _broker_down_since is not None and time.monotonic() - _broker_down_since < BROKER_RETRY_AFTER_SECONDS
    )
    if recently_down and not eager:
        logger.warning("notification %s left pending: the broker was unreachable a moment ago", notification_id)
        return False
    try:
        enqueue(SEND_TASK, notification_id)
    except OperationalError as exc:  # the broker is down: dispatch_pending queues it later
        _broker_down_since = time.monotonic()
        logger.warning("notification %s left pending: broker unreachable: %s", notification_id, exc)
        return False
    except Exception:  # an eager run broke; the row stays pending for dispatch_pending
        logger.exception("notification %s left pending: sending failed", notification_id)
        return False
    _broker_down_since = None
    return True


def notify_application_change(*, application: Application, actor, comment: str = "") -> None:
    """Tell the physician (and, on a final decision, the institution) what just happened."""
    with translation.override("zh-hans"):
        state = application.get_state_display()
        number = application.number or ""
        body = _("Your application %(number)s is now: %(state)s.") % {"number": number, "state": state}
        if comment:
            body += " " + _("Note: %(comment)s") % {"comment": comment}
        if application.state == Application.State.REFUSED:
            from .grounds import RIGHTS_NOTICE

            body += " " + str(RIGHTS_NOTICE)
        if application.practice_certificate_code and application.state == Application.State.AUTHORITY_APPROVED:
            body += " " + _("Practice certificate code: %(code)s.") % {"code": application.practice_certificate_code}
    physician = application.physician
    # The physician hears of what others did, and gets a receipt for their own submission.
    if actor.pk != physician.pk or application.state == Application.State.SUBMITTED:
        notification_queue(
            channel=Notification.Channel.SMS, recipient=physician.mobile, body=body, application=application
        )
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


def register_institutions(registration) -> list:
    """Every institution where the physician practises under ``registration``: the main one and the filed sites."""
    from django.db.models import Q
    from django.utils import timezone

    from .models import Institution

    # A site that ended today (with the registration) was still practised at today.
    sites = registration.sites.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=timezone.localdate()))
    ids = {registration.institution_id, *sites.values_list("institution_id", flat=True)}
    return list(Institution.objects.filter(pk__in=ids).order_by("pk"))


def register_change_text(*, registration, change) -> str:
    """What the physician is told about a change of their registration, in Chinese (SMS, e-mail, page)."""
    from .grounds import RIGHTS_NOTICE
    from .models import Registration

    with translation.override("zh-hans"):
        body = _("Your practice registration %(code)s is now: %(state)s.") % {
            "code": registration.certificate_code,
            "state": registration.get_state_display(),
        }
        if change.suspended_until:
            body += " " + _("Suspended until %(date)s inclusive.") % {"date": change.suspended_until.isoformat()}
        if change.ground_id:
            body += " " + _("Ground: %(ground)s.") % {"ground": str(change.ground)}
        if change.comment:
            body += " " + _("Note: %(comment)s") % {"comment": change.comment}
        adverse = (Registration.State.SUSPENDED, Registration.State.CANCELLED, Registration.State.REVOKED)
        if change.to_state in adverse and not (change.ground_id and change.ground.code == "own_request"):
            body += " " + str(RIGHTS_NOTICE)
    return body


def notify_register_change(*, registration, change) -> None:
    """Tell the physician (SMS and e-mail) and every institution where they practise; sent after commit."""
    body = register_change_text(registration=registration, change=change)
    physician = registration.physician
    notification_queue(channel=Notification.Channel.SMS, recipient=physician.mobile, body=body)
    if physician.email:
        notification_queue(channel=Notification.Channel.EMAIL, recipient=physician.email, subject=body[:100], body=body)
    with translation.override("zh-hans"):
        institution_body = _("Practice registration %(code)s of %(name)s: %(state)s.") % {
            "code": registration.certificate_code,
            "name": physician.real_name,
            "state": registration.get_state_display(),
        }
        if change.ground_id:
            institution_body += " " + _("Ground: %(ground)s.") % {"ground": str(change.ground)}
    for institution in register_institutions(registration):
        notification_queue(channel=Notification.Channel.SMS, recipient=institution.mobile, body=institution_body)


def notify_site_ended(*, site, early: bool) -> None:
    """A filing ended: the physician, the main institution and the site's institution are told."""
    registration = site.registration
    physician = registration.physician
    with translation.override("zh-hans"):
        values = {
            "name": physician.real_name,
            "site": site.institution.name,
            "date": site.ended_on.isoformat(),
            "code": registration.certificate_code,
        }
        if early:
            body = _("The filing of %(name)s (%(code)s) to practise at %(site)s ended on %(date)s.") % values
        else:
            body = (
                _(
                    "The filing of %(name)s (%(code)s) to practise at %(site)s reached its end date and ended on %(date)s."
                )
                % values
            )
    notification_queue(channel=Notification.Channel.SMS, recipient=physician.mobile, body=body)
    if physician.email:
        notification_queue(channel=Notification.Channel.EMAIL, recipient=physician.email, subject=body[:100], body=body)
    for institution in {registration.institution, site.institution}:
        notification_queue(channel=Notification.Channel.SMS, recipient=institution.mobile, body=body)


def notify_main_institution_moved(*, registration, old_institution, old_authority) -> None:
    """The old main institution and every clerk of the old issuing authority hear of the move."""
    from docregistry.accounts.models import Role, User

    with translation.override("zh-hans"):
        body = _(
            "%(name)s (%(code)s) has changed main institution from %(old)s to %(new)s, registered with %(authority)s."
        ) % {
            "name": registration.physician.real_name,
            "code": registration.certificate_code,
            "old": old_institution.name,
            "new": registration.institution.name,
            "authority": registration.authority.name,
        }
    notification_queue(channel=Notification.Channel.SMS, recipient=old_institution.mobile, body=body)
    if old_authority.pk != registration.authority_id:
        clerks = User.objects.filter(role=Role.AUTHORITY, authority=old_authority, is_active=True).exclude(mobile="")
        for mobile in clerks.values_list("mobile", flat=True):
            notification_queue(channel=Notification.Channel.SMS, recipient=mobile, body=body)


def notify_departure(*, report) -> None:
    """A departure was filed: the physician is told what follows; a filed site's main institution hears of it."""
    registration = report.registration
    physician = registration.physician
    with translation.override("zh-hans"):
        values = {
            "name": physician.real_name,
            "code": registration.certificate_code,
            "institution": report.institution.name,
            "reason": report.get_reason_display(),
            "date": report.occurred_on.isoformat(),
        }
        body = _("%(institution)s has reported that %(name)s left on %(date)s (%(reason)s).") % values
        if report.main:
            body += (
                " "
                + _(
                    "Registration %(code)s is cancelled two years after that date unless a new main institution "
                    "is registered by then."
                )
                % values
            )
    notification_queue(channel=Notification.Channel.SMS, recipient=physician.mobile, body=body)
    if physician.email:
        notification_queue(channel=Notification.Channel.EMAIL, recipient=physician.email, subject=body[:100], body=body)
    if not report.main:
        notification_queue(channel=Notification.Channel.SMS, recipient=registration.institution.mobile, body=body)


def notify_report_rejected(*, report) -> None:
    """The authority did not confirm an institution's report; the institution hears why."""
    with translation.override("zh-hans"):
        body = _("Your report on %(name)s (%(code)s) was not confirmed by %(authority)s: %(comment)s") % {
            "name": report.registration.physician.real_name,
            "code": report.registration.certificate_code,
            "authority": report.handled_by.authority.name if report.handled_by.authority_id else "",
            "comment": report.handled_comment,
        }
    notification_queue(channel=Notification.Channel.SMS, recipient=report.institution.mobile, body=body)
