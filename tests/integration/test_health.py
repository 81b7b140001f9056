"""/healthz: 200 when the database, the cache and the broker answer; 503 (still JSON) when one does not."""

import os
import time

import pytest

from docregistry import health
from docregistry.registrations.models import Notification

from .conftest import DEAD_BROKER, celery_broker, unavailable

TOKEN = "health-token-for-the-operator"


@pytest.fixture(autouse=True)
def _health_token(settings):
    settings.HEALTHZ_TOKEN = TOKEN


def details(client):
    return client.get("/healthz", HTTP_X_HEALTH_TOKEN=TOKEN)


def test_healthy_instance_answers_200_with_every_check(client, db):
    Notification.objects.create(channel="sms", recipient="13900000000", body="x")
    response = details(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "queue"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["queue"]["mode"] == "eager"
    assert body["outbox"] == {"pending": 1, "failed": 0}


def test_broker_down_answers_503_quickly_and_says_which_check_failed(client, db):
    with celery_broker(DEAD_BROKER):
        started = time.monotonic()
        response = details(client)
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
    assert not body["checks"]["queue"]["ok"]
    assert "6390" in body["checks"]["queue"]["error"] or "onnect" in body["checks"]["queue"]["error"]


def test_cache_down_answers_503(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_BROKER,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    started = time.monotonic()
    response = details(client)
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    assert not response.json()["checks"]["cache"]["ok"]


def test_with_real_redis_the_queue_length_is_reported(client, db):
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith("redis://"):
        unavailable("needs REDIS_URL=redis://…")
    with celery_broker(redis_url):
        response = details(client)
    assert response.status_code == 200, response.content
    queue = response.json()["checks"]["queue"]
    assert queue["mode"] == "redis" and queue["queue"] == "celery"
    assert isinstance(queue["length"], int)


def test_every_request_asks_the_broker_over_the_same_kept_connection(client, db):
    import redis

    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith("redis://"):
        unavailable("needs REDIS_URL=redis://…")
    operator = redis.Redis.from_url(redis_url)
    db_number = str(operator.connection_pool.connection_kwargs.get("db", 0))

    def healthz_connections() -> set[str]:
        """What Redis itself lists: the connections named by /healthz, in this database."""
        listed = operator.client_list()
        return {c["id"] for c in listed if c["name"] == health.CLIENT_NAME and c["db"] == db_number}

    try:
        with celery_broker(redis_url):
            assert details(client).json()["checks"]["queue"]["mode"] == "redis"
            first = healthz_connections()
            for _ in range(30):
                assert details(client).status_code == 200
            assert client.get("/healthz").status_code == 200
            after = healthz_connections()
            # Redis drops it (a restart, an idle timeout): the next check reconnects and passes.
            operator.client_kill_filter(_id=next(iter(after)))
            assert details(client).json()["checks"]["queue"]["ok"]
            again = healthz_connections()
    finally:
        operator.close()
    assert len(first) == 1  # kept open between requests
    assert after == first  # and no other opened for the 31 requests after the first
    assert len(again) == 1 and again != first


def test_the_public_answer_is_only_ok_or_fail(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.get("/healthz", {"token": "wrong"}).json() == {"status": "ok"}
    with celery_broker(DEAD_BROKER):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "fail"}  # no host, port or error text for anyone


def test_the_token_in_the_query_string_shows_the_details(client, db):
    assert set(client.get("/healthz", {"token": TOKEN}).json()["checks"]) == {"database", "cache", "queue"}


def test_without_a_configured_token_nobody_sees_the_details(client, db, settings):
    settings.HEALTHZ_TOKEN = ""
    assert client.get("/healthz", {"token": ""}, HTTP_X_HEALTH_TOKEN="").json() == {"status": "ok"}
