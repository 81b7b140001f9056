"""Reminders sent on a schedule (Celery beat), and housekeeping.

Each reminder is an outbox row with a ``key`` naming what it is about and for
which day, so a second run on the same day writes nothing and sends nothing.
"""

import datetime
import functools
from datetime import timedelta

from django.db import transaction
from django.db.models import CharField, Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from docregistry.accounts.models import Role, SmsCode, User
from qualifications.models import Qualification

from . import calendar
from .models import Application, Institution, Notification, Registration
from .notifications import notifications_queue_keyed
from .workflow import jurisdiction_prefix

INSTITUTION_WAIT_DAYS = 3
AUTHORITY_WAIT_DAYS = 5
# Clerks are reminded of accepted applications this many working days before their decision is due.
DUE_WARNING_WORKING_DAYS = 5
TWO_YEAR_WARNING_DAYS = 60

# A physician in these states has applied in time; the two-year line no longer concerns them.
APPLIED_STATES = (
    Application.State.SUBMITTED,
    Application.State.INSTITUTION_APPROVED,
    Application.State.RETURNED,
    Application.State.AUTHORITY_APPROVED,
)


def _sms(*, recipient: str, body: str, key: str) -> dict:
    return {"channel": Notification.Channel.SMS, "recipient": recipient, "body": body, "key": key}


def institution_reminders_queue(*, days: int = INSTITUTION_WAIT_DAYS, now: datetime.datetime | None = None) -> int:
    """One SMS per institution that has applications waiting more than ``days`` days; at most one a day.

    One grouped query for the counts, one for the institutions, one bulk write.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = dict(
        Application.objects.filter(state=Application.State.SUBMITTED, submitted_at__lte=now - timedelta(days=days))
        .order_by()
        .values_list("institution")
        .annotate(count=Count("pk"))
    )
    institutions = Institution.objects.filter(pk__in=[pk for pk in counts if pk], is_active=True).exclude(mobile="")
    rows = []
    with translation.override("zh-hans"):
        for pk, mobile in institutions.values_list("pk", "mobile"):
            body = _(
                "%(count)s physician application(s) have been waiting for your review for more than %(days)s days. "
                "Please handle them in the institution portal."
            ) % {"count": counts[pk], "days": days}
            rows.append(_sms(recipient=mobile, body=body, key=f"remind:institution:{pk}:{today}"))
    return notifications_queue_keyed(rows)


def authority_reminders_queue(*, days: int = AUTHORITY_WAIT_DAYS, now: datetime.datetime | None = None) -> int:
    """One SMS per clerk whose jurisdiction has applications to act on; at most one a day.

    Two things, by the decision clock (``calendar.py``, the same clock every page shows):
    applications forwarded more than ``days`` days ago whose paper materials are not accepted
    yet (受理), and accepted ones whose decision is due within ``DUE_WARNING_WORKING_DAYS``
    working days or overdue (``decision_due_on``, by the holiday calendar). The database
    counts per region (a few hundred rows at most); each authority adds up the regions its
    prefix covers. One calendar query, one grouped query, one for the clerks, one write.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    due_by = calendar.working_days_after(today, DUE_WARNING_WORKING_DAYS)
    waiting = Q(accepted_at__isnull=True, institution_decided_at__lte=now - timedelta(days=days))
    due = Q(accepted_at__isnull=False, decision_due_on__lte=due_by)
    regions = {
        code: (n_waiting, n_due)
        for code, n_waiting, n_due in Application.objects.filter(
            waiting | due, state=Application.State.INSTITUTION_APPROVED
        )
        .order_by()
        .values_list("institution__region_id")
        .annotate(n_waiting=Count("pk", filter=waiting), n_due=Count("pk", filter=due))
    }
    if not regions:
        return 0
    clerks = (
        User.objects.filter(role=Role.AUTHORITY, is_active=True, authority__isnull=False)
        .exclude(mobile="")
        .select_related("authority__region")
    )
    rows = []
    with translation.override("zh-hans"):
        for clerk in clerks:
            prefix = jurisdiction_prefix(clerk)
            mine = [counts for code, counts in regions.items() if code and code.startswith(prefix)]
            n_waiting, n_due = sum(c[0] for c in mine), sum(c[1] for c in mine)
            parts = []
            if n_due:
                parts.append(
                    _(
                        "%(count)s accepted application(s) in your jurisdiction must be decided by %(date)s or are "
                        "overdue (20 working days from acceptance, Physicians Law art. 13)."
                    )
                    % {"count": n_due, "date": due_by.isoformat()}
                )
            if n_waiting:
                parts.append(
                    _(
                        "%(count)s application(s) approved by institutions in your jurisdiction have been waiting "
                        "for more than %(days)s days. Please review them in the authority portal."
                    )
                    % {"count": n_waiting, "days": days}
                )
            if parts:
                body = " ".join(parts)
                rows.append(_sms(recipient=clerk.mobile, body=body, key=f"remind:authority:{clerk.pk}:{today}"))
    return notifications_queue_keyed(rows)


TWO_YEAR_KEY = "remind:two-year:"  # + physician id + ":" + qualification id


def two_year_key(physician_id, qualification_id) -> Concat:
    """The outbox key of a two-year warning, in SQL (``remind:two-year:<physician>:<qualification>``)."""
    as_text = functools.partial(Cast, output_field=CharField())
    return Concat(
        Value(TWO_YEAR_KEY), as_text(physician_id), Value(":"), as_text(qualification_id), output_field=CharField()
    )


def two_year_warnings_queue(*, days_before: int = TWO_YEAR_WARNING_DAYS, today: datetime.date | None = None) -> int:
    """Warn, once per qualification, a physician within ``days_before`` days of the two-year line.

    The line is two years after the qualification was obtained; applying later
    requires six months of training and a passed assessment (SPEC section 3).
    Physicians with a registration in force or an application already submitted
    are not warned. One query finds those still to warn: the qualifications of the
    ``days_before`` window, by the index on ``obtained_on``, each joined to its physician
    account, without those whose warning is already in the outbox (an anti-join on the
    reminder key, by its unique index), so a day's run reads only the new ones; one bulk
    write queues them.
    """
    today = today or timezone.localdate()
    accounts = User.objects.filter(
        role=Role.PHYSICIAN, is_active=True, id_number=OuterRef("id_number"), mobile__gt=""
    ).exclude(id_number="")
    warned = Notification.objects.exclude(key="")  # the predicate of the key's unique index, so it answers
    due = (
        Qualification.objects.filter(
            obtained_on__gt=calendar.add_years(today, -2),
            obtained_on__lte=calendar.add_years(today + timedelta(days=days_before), -2),
        )
        .order_by()
        .annotate(physician_id=Subquery(accounts.values("pk")[:1]))
        .filter(physician_id__isnull=False)
        .exclude(
            Exists(Registration.objects.filter(physician_id=OuterRef("physician_id"), state=Registration.State.ACTIVE))
        )
        .exclude(Exists(Application.objects.filter(physician_id=OuterRef("physician_id"), state__in=APPLIED_STATES)))
        .exclude(Exists(warned.filter(key=two_year_key(OuterRef("physician_id"), OuterRef("pk")))))
        .annotate(mobile=Subquery(accounts.values("mobile")[:1]))
        .values_list("pk", "obtained_on", "physician_id", "mobile")
    )
    rows = []
    with translation.override("zh-hans"):
        for qualification_pk, obtained_on, physician_pk, mobile in due:
            deadline = calendar.add_years(obtained_on, 2)
            body = _(
                "You obtained your qualification on %(date)s. If you do not apply for practice registration by "
                "%(deadline)s, you will first need six months of training and a passed assessment."
            ) % {"date": obtained_on.isoformat(), "deadline": deadline.isoformat()}
            rows.append(_sms(recipient=mobile, body=body, key=f"{TWO_YEAR_KEY}{physician_pk}:{qualification_pk}"))
    return notifications_queue_keyed(rows)


@transaction.atomic
def sms_codes_purge(*, older_than: timedelta = timedelta(days=1), now: datetime.datetime | None = None) -> int:
    """Delete SMS codes that expired more than ``older_than`` ago. Returns how many."""
    now = now or timezone.now()
    deleted, _by_model = SmsCode.objects.filter(expires_at__lt=now - older_than).delete()
    return deleted


REDACTED = "[redacted]"


@transaction.atomic
def notifications_redact(*, older_than: timedelta = timedelta(days=1), now: datetime.datetime | None = None) -> int:
    """Blank the text of delivered (or given-up) notifications that are not about an application.

    Those carry SMS codes, one-time passwords and password-reset links: once
    they are a day old nobody needs their text, and it should not sit in the
    database. Notifications about an application keep their text (the
    physician's timeline). Returns how many were blanked.
    """
    now = now or timezone.now()
    done = (Notification.State.SENT, Notification.State.FAILED)
    return (
        Notification.objects.filter(state__in=done, application__isnull=True, created_at__lt=now - older_than)
        .exclude(body=REDACTED)
        .update(body=REDACTED, subject="")
    )
