"""``/healthz``: is this instance able to serve? JSON, 200 when every check passes, 503 otherwise.

The public answer is only ``{"status": "ok"}`` or ``{"status": "fail"}``; the checks (database
vendor, cache backend, queue name and length, errors) and the outbox counts are shown only to a
caller that sends ``HEALTHZ_TOKEN`` (``?token=…`` or the ``X-Health-Token`` header).

Checks: the database answers, the cache stores and returns a value, and the
Celery broker answers (with the length of the default queue; "eager" when
tasks run in-process). The outbox counts (pending, failed) are reported for the
operator but do not fail the check: a pending notification is the system
working as designed while the broker or the SMS provider is away.

The broker is asked through one Redis client per broker URL and process, made at the
first check and kept: a load balancer probing every few seconds reuses its connection
instead of opening and closing one each time (``CLIENT LIST`` names it ``docregistry-healthz``).
"""

import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from docregistry.registrations.models import Notification


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = {"ok": True, **(check() or {})}
    except Exception as exc:  # any failure is a failed check, reported, never raised
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_cache() -> dict:
    key, value = f"healthz:{uuid.uuid4().hex}", "ok"
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return what was stored")
    cache.delete(key)
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def check_queue() -> dict:
    from docregistry.celery import app

    if app.conf.task_always_eager:
        return {"mode": "eager"}
    broker_url = app.conf.broker_url
    if not broker_url.startswith(("redis://", "rediss://", "unix://")):
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0)
        return {"mode": "broker"}
    queue = app.conf.task_default_queue
    return {"mode": "redis", "queue": queue, "length": broker_client(broker_url).llen(queue)}


CLIENT_NAME = "docregistry-healthz"
_clients: dict = {}  # broker URL → redis.Redis, one per process (redis-py drops a parent's connections after fork)
_clients_lock = threading.Lock()


def broker_client(url: str):
    """The process's Redis client for ``url``, made on first use: at most 4 connections, fail fast."""
    client = _clients.get(url)
    if client is not None:
        return client
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    with _clients_lock:
        if url not in _clients:
            pool = redis.BlockingConnectionPool.from_url(
                url,
                max_connections=4,
                timeout=2,  # waiting for a free connection
                socket_connect_timeout=1,
                socket_timeout=2,
                health_check_interval=30,  # a connection idle that long is pinged before use
                client_name=CLIENT_NAME,
                # One retry, at once: a kept connection the server has closed meanwhile is reopened.
                retry=Retry(NoBackoff(), 1),
            )
            _clients[url] = redis.Redis(connection_pool=pool)
        return _clients[url]


def outbox_counts() -> dict:
    pending, failed = Notification.State.PENDING, Notification.State.FAILED
    return Notification.objects.filter(state__in=(pending, failed)).aggregate(
        pending=Count("pk", filter=Q(state=pending)), failed=Count("pk", filter=Q(state=failed))
    )


def may_see_details(request) -> bool:
    token = settings.HEALTHZ_TOKEN
    given = request.headers.get("X-Health-Token") or request.GET.get("token") or ""
    return bool(token) and constant_time_compare(given, token)


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _timed(check_database), "cache": _timed(check_cache), "queue": _timed(check_queue)}
    healthy = all(check["ok"] for check in checks.values())
    if not may_see_details(request):
        return JsonResponse({"status": "ok" if healthy else "fail"}, status=200 if healthy else 503)
    body = {"status": "ok" if healthy else "fail", "checks": checks}
    if checks["database"]["ok"]:
        try:
            body["outbox"] = outbox_counts()
        except Exception:  # reporting only
            body["outbox"] = None
    return JsonResponse(body, status=200 if healthy else 503)
