"""How many SMS codes may go out: per number, per client address, per account, and per day for the whole site.

The number's own limits (one code per purpose a minute, ``HOURLY_CAP`` an hour) are counted from its
``SmsCode`` rows in ``services.sms_code_send``; the others are ``SMS_LIMITS`` (settings):
``address_per_hour``, ``account_per_day`` and ``site_per_day``. Each is one ``SmsQuota`` row per
(what is counted, window), advanced by ``INSERT … ON CONFLICT DO UPDATE … RETURNING``. That row stays
locked by the transaction that advanced it until it commits, so:

- ``number_lock``: the first thing a send does is advance the number's own row; a second request for
  the same number (even a number never seen before) waits for the first to commit and then sees its
  code, so 20 simultaneous requests send one SMS;
- ``budget_take``: a refused send raises inside the transaction, which rolls its increments back, so
  only codes actually sent are counted.
"""

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import SmsQuota

MSG_ADDRESS_CAP = _("Too many codes were requested from your network in the last hour. Please try again later.")
MSG_ACCOUNT_CAP = _("This account has asked for too many codes today. Please try again tomorrow.")
MSG_SITE_CAP = _("The service cannot send more codes today. Please try again tomorrow or call the help desk.")

HOUR = 3600


def quota_take(key: str, window: int) -> int:
    """Advance the counter ``key`` of the window starting at ``window`` (epoch seconds); its new value."""
    table = connection.ops.quote_name(SmsQuota._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [key[:100], window],
        )
        return cursor.fetchone()[0]


def number_lock(mobile: str) -> None:
    """Serialise every send to ``mobile`` until the current transaction ends (the row exists from the first)."""
    quota_take(f"number:{mobile}", 0)


def _today_start() -> int:
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp())


def budget_take(*, user=None, ip: str | None = None) -> None:
    """Count one SMS against the client address, the account and the site; refuse over any limit."""
    limits = settings.SMS_LIMITS
    now = int(time.time())
    day = _today_start()
    checks = []
    if ip:
        checks.append((f"address:{ip}", now - now % HOUR, limits["address_per_hour"], MSG_ADDRESS_CAP, "address_cap"))
    if user is not None and user.pk:
        checks.append((f"account:{user.pk}", day, limits["account_per_day"], MSG_ACCOUNT_CAP, "account_cap"))
    checks.append(("site", day, limits["site_per_day"], MSG_SITE_CAP, "site_cap"))
    for key, window, limit, message, code in checks:
        if quota_take(key, window) > limit:
            raise ValidationError(message, code=code)


def quotas_purge(*, older_than_seconds: int = 2 * 86400) -> int:
    """Delete windows that ended long ago (the numbers' lock rows, window 0, stay)."""
    cutoff = int(time.time()) - older_than_seconds
    return SmsQuota.objects.filter(window_start__gt=0, window_start__lt=cutoff).delete()[0]
