"""Fixtures for the operations tests: a broker that is down, a real Celery worker."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from docregistry.celery import app as celery_app
from docregistry.registrations import notifications

DEAD_BROKER = "redis://127.0.0.1:6390/4"  # nothing listens there


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 15 s: a server or worker a test started."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _reset_producer_pool():
    # Forget the pools for the old URL (kombu keeps one per URL and reuses it when we switch back).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def celery_broker(url: str, queue: str | None = None):
    """Make this process publish to ``url`` (and ``queue``) instead of running tasks eagerly."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager, conf.task_default_queue
    _reset_producer_pool()
    conf.broker_url, conf.task_always_eager = url, False
    conf.task_default_queue = queue or conf.task_default_queue
    notifications._broker_down_since = None
    try:
        yield
    finally:
        _reset_producer_pool()
        conf.broker_url, conf.task_always_eager, conf.task_default_queue = saved
        notifications._broker_down_since = None


@pytest.fixture
def broker_down():
    with celery_broker(DEAD_BROKER):
        yield


def unavailable(reason: str):
    """Skip the test for what this machine lacks, or fail it with REQUIRE_INTEGRATION=1.

    CI's PostgreSQL pass sets it: everything is there, so a skip would hide a test that did not run.
    """
    if os.environ.get("REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"REQUIRE_INTEGRATION=1, but this test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def real_services() -> tuple[str, str]:
    """REDIS_URL and the PostgreSQL DATABASE_URL, or skip the test."""
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith("redis://") or not on_postgresql():
        unavailable("needs REDIS_URL=redis://… and DATABASE_URL=postgres://… (real services)")
    return redis_url, os.environ["DATABASE_URL"]


def test_database_url() -> str:
    """The URL of the database pytest-django created, for another process to use."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # not a test


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path, sms_dir: Path):
        self.process, self.log, self.sms_dir = process, log, sms_dir

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def running_worker(redis_url: str, tmp_path: Path):
    """A real ``celery worker`` process on ``redis_url``, using the test database, sending SMS to a file.

    While it runs, this process publishes to the same broker and queue.
    """
    sms_dir = tmp_path / "sms"
    log = tmp_path / "worker.log"
    # A queue of its own: no stale messages from earlier runs, no other test process taking ours.
    queue = f"docregistry-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "docregistry.settings.production",
        "SECRET_KEY": "worker-test-" + "k" * 60,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis_url,
        "SMS_BACKEND": "docregistry.accounts.sms.filebased.SmsBackend",
        "SMS_FILE_PATH": str(sms_dir),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DOCREGISTRY_VAR_DIR": str(tmp_path / "var"),
        "LOG_FORMAT": "line",
        "CELERY_QUEUE": queue,
    }
    celery = Path(sys.executable).with_name("celery")
    command = [
        str(celery), "-A", "docregistry", "worker", "--pool=solo", "-Q", queue, "--loglevel=INFO",
        "--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"test-{os.getpid()}@%h",
    ]  # fmt: skip
    with open(log, "w") as out:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    worker = Worker(process, log, sms_dir)
    try:
        deadline = time.monotonic() + 30
        while " ready." not in worker.output():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{worker.output()[-3000:]}")
            time.sleep(0.2)
        with celery_broker(redis_url, queue):
            yield worker
    finally:
        stop(process)
        with contextlib.suppress(Exception):  # Redis may be the thing a test stopped
            import redis

            client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")  # our own keys
            client.close()


@pytest.fixture
def celery_worker(django_db_serialized_rollback, transactional_db, tmp_path):
    """A worker on the Redis of REDIS_URL (skipped without real services).

    The data must be committed for the worker to see it (transactional_db); serialized
    rollback restores the reference data (regions, scopes) that flushing removes.
    """
    redis_url, _ = real_services()
    with running_worker(redis_url, tmp_path) as worker:
        yield worker


class ThrowawayRedis:
    """A redis-server of our own on a free port, which a test may stop and start again."""

    def __init__(self, tmp_path: Path):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = tmp_path / "redis.log"
        self.process = None

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def throwaway_redis(tmp_path):
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker_on_throwaway_redis(django_db_serialized_rollback, transactional_db, throwaway_redis, tmp_path):
    """A worker on a Redis the test can stop (needs PostgreSQL for the worker to share the test database)."""
    if not on_postgresql():
        unavailable("needs DATABASE_URL=postgres://… (the worker shares the test database)")
    with running_worker(throwaway_redis.url, tmp_path) as worker:
        yield worker


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2):
    """Poll until ``predicate()`` is truthy; return its value (or the last falsy one)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
