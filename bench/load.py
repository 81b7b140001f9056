"""Load benchmark: gunicorn + PostgreSQL + Redis under locust's simulated users of the three portals.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dr_load REDIS_URL=redis://127.0.0.1:6379/8 \\
        flock /work/notes/bench.lock .venv/bin/python bench/load.py     # 50 users for 3 minutes
    ... bench/load.py --users 5 --duration 15s --physicians 30 --institutions 3   # the CI smoke

It migrates the database, adds a world of its own (by default 2,000 physicians over 20 institutions and
a district authority: 4 in 10 physicians have not applied yet, the others have an application in every
state; names carry a run id, so runs can share a database), signs every user in by creating their
sessions directly (no login page, so throttling and two-factor sign-in do not get in the way; staff
sessions are marked two-factor verified), starts gunicorn with the production settings and
``deploy/gunicorn.conf.py``, runs locust headless (``bench/locustfile.py``: physicians 6, staff 3,
clerks 1 of every 10 users, reading and posting the real forms: submit with an upload, approve, 受理,
receipt and review-form PDFs) and prints requests/s, p50/p95/p99 and errors per page, then the totals.
Exits 1 when any request or write failed. No Celery worker runs: the notifications wait in a queue of
the run's own, dropped at the end, and review forms are rendered when asked for. Locust runs on the
same machine as the server: its own CPU is counted against the site.
"""

import argparse
import datetime
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

SCRATCH = Path(tempfile.mkdtemp(prefix="load-bench-"))
ENV = {
    "DJANGO_SETTINGS_MODULE": "docregistry.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(64),  # shared by this process (sessions) and gunicorn
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "DOCREGISTRY_VAR_DIR": str(SCRATCH / "var"),
    "LOG_LEVEL": "WARNING",
    "LOG_FORMAT": "line",
    "REVIEW_FORM_PRERENDER": "0",
    "SMS_BACKEND": "docregistry.accounts.sms.locmem.SmsBackend",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(physicians: int, institutions: int) -> dict:
    """Institutions with staff, one authority with clerks, physicians: 4 of 10 have not applied yet (they apply
    during the run; one in four of them qualified three years ago, so the two-year rule asks for a training
    proof), the others have one application, draft, submitted, confirmed by the institution or approved."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from docregistry.registrations.demo import make_id_number
    from docregistry.registrations.models import Application, Region
    from tests import factories
    from tests.otp import mark_verified

    call_command("migrate", verbosity=0)
    factories.ensure_reference_data()
    run = secrets.token_hex(3)
    rng = random.Random(run)
    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(20_000))
    region = Region.objects.get(code="110105")
    authority = factories.AuthorityFactory(name=f"负载测试卫健委{run}", region=region)
    clerks = [
        factories.ClerkFactory(username=f"load-{run}-clerk{n}", authority=authority)
        for n in range(max(physicians // 200, 2))
    ]
    hospitals = [
        factories.InstitutionFactory(name=f"负载测试医院{run}-{n}", registration_number=f"L{run}{n:04d}-911010516")
        for n in range(institutions)
    ]
    staff = {
        h.pk: factories.StaffFactory(username=f"load-{run}-staff{n}", institution=h) for n, h in enumerate(hospitals)
    }
    # By the physician's number modulo 10: what they have done before the run.
    steps = (None, None, None, None, "draft", "submitted", "submitted", "receipt", "institution_approved", "approved")
    three_years_ago = timezone.localdate() - datetime.timedelta(days=3 * 365 + 30)
    doctors, fresh, receipts = [], [], set()
    started = time.perf_counter()
    # The receipts' applications last: the newest, at the end of the clerks' queue (oldest first), which
    # they would otherwise fill.
    order = sorted(range(physicians), key=lambda n: steps[n % len(steps)] == "receipt")
    for n in order:
        doctor = factories.PhysicianFactory(
            username=f"load-{run}-doc{n}",
            id_number=make_id_number("110105", born + datetime.timedelta(days=n // 1000), n % 1000),
            mobile=f"13{rng.randrange(10**9):09d}",
            email=f"load-{run}-{n}@example.com",
            password=None,  # signed in by session only: no Argon2 hash (0.2 s of CPU each)
        )
        hospital = hospitals[n // len(steps) % len(hospitals)]  # every hospital gets every step
        step = steps[n % len(steps)]
        if step is None:
            qualified = {"obtained_on": three_years_ago} if n % 40 < 10 else {}
            factories.qualification_for(doctor, **qualified)
            fresh.append((doctor, hospital))
            continue
        world = factories.World(
            physician=doctor,
            qualification=factories.qualification_for(doctor),
            institution=hospital,
            staff=staff[hospital.pk],
            authority=authority,
            clerk=clerks[n % len(clerks)],
        )
        application = getattr(world, "institution_approved" if step == "receipt" else step)()
        if step == "receipt":  # kept for the physicians' receipts: no clerk decides it during the run
            receipts.add(application.pk)
        doctors.append(doctor)
    print(
        f"seeded {physicians:,} physicians ({len(fresh):,} to apply during the run), {institutions} institutions, "
        f"{len(clerks)} clerks in {time.perf_counter() - started:.0f} s"
    )

    def session(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        # The backend that checks passwords: axes' backend, first in the list, only refuses.
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        mark_verified(store, user)  # staff: two-factor verified, as after the code
        store.create()
        return store.session_key

    by_doctor = {}
    by_hospital = {}
    waiting = []
    for pk, physician_id, institution_id, state in Application.objects.filter(physician__in=doctors).values_list(
        "pk", "physician_id", "institution_id", "state"
    ):
        by_doctor.setdefault(physician_id, []).append(pk)
        if state != Application.State.DRAFT:  # an institution never sees a draft (404)
            by_hospital.setdefault(institution_id, []).append(pk)
        if state not in (Application.State.DRAFT, Application.State.SUBMITTED):  # nor a clerk one not yet passed on
            waiting.append(pk)
    return {
        "physician": [
            {
                "session": session(d),
                "applications": by_doctor[d.pk],
                "receipt": next((pk for pk in by_doctor[d.pk] if pk in receipts), None),
            }
            for d in doctors
        ],
        "fresh": [{"session": session(d), "institution": h.name, "applications": []} for d, h in fresh],
        "institution": [{"session": session(s), "applications": by_hospital.get(pk, [])} for pk, s in staff.items()],
        "authority": [{"session": session(c), "applications": waiting} for c in clerks],
        "reserved": sorted(receipts),
    }


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    started = time.perf_counter()
    collect = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, capture_output=True
    )
    if collect.returncode:
        sys.exit(collect.stderr.decode())
    print(f"collectstatic in {time.perf_counter() - started:.0f} s")
    log = open(SCRATCH / "gunicorn.log", "w")  # noqa: SIM115 -- open while the server runs
    server = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "docregistry.wsgi", "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{port}"}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30).close()  # noqa: S310
            return server
        except urllib.error.HTTPError:
            return server  # it answers
        except OSError:  # not listening yet, or too busy starting to answer
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                sys.exit((SCRATCH / "gunicorn.log").read_text())
            time.sleep(0.5)


def report(path: Path) -> int:
    """Every page (locust name) with its count, requests/s, p50/p95/p99 and errors, then the totals; the errors."""
    figures = json.loads(path.read_text(encoding="utf-8"))
    seconds = max(figures["seconds"], 1)
    print(f"\n{'page':48} {'requests':>9} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7}")

    def line(name: str, row: dict) -> str:
        return (
            f"{name:48} {row['requests']:>9,} {row['requests'] / seconds:>6.1f} {row['p50']:>7.0f} "
            f"{row['p95']:>7.0f} {row['p99']:>7.0f} {row['failures']:>7,}"
        )

    for row in sorted(figures["pages"], key=lambda r: (r["name"], r["method"])):
        print(line(f"{row['name']}", row))
    total = figures["total"]
    print(line("all pages", total))
    for error in figures["errors"]:
        print(f"  error: {error['method']} {error['name']}: {error['error']} x{error['count']}")
    for exception in figures["exceptions"]:
        print(f"  exception in a user x{exception['count']}: {exception['message']}\n{exception['traceback']}")
    writes = sum(r["requests"] - r["failures"] for r in figures["pages"] if r["method"] == "POST")
    print(
        f"\n{total['requests']:,} requests in {seconds:.0f} s ({total['requests'] / seconds:.1f}/s), "
        f"{writes:,} successful writes, {total['failures']:,} errors"
        + (f", {len(figures['exceptions'])} kinds of exception" if figures["exceptions"] else "")
        + f"; {figures['fresh_left']:,} physicians had not applied yet"
    )
    done = {r["name"] for r in figures["pages"] if r["method"] == "POST" and r["requests"] > r["failures"]}
    if missing := sorted(set(WRITES) - done):
        print(f"no successful write of: {', '.join(missing)} (too short a run, or too few users of the role)")
    return total["failures"] + sum(e["count"] for e in figures["exceptions"])


WRITES = (
    "physician: create draft (POST)",
    "physician: submit with a document (POST)",
    "institution: approve (POST)",
    "authority: accept 受理 (POST)",
    "authority: approve (POST)",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", default="3m", help="locust's --run-time: 3m, 20s, …")
    parser.add_argument("--physicians", type=int, default=2000)
    parser.add_argument("--institutions", type=int, default=20)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://… (and REDIS_URL=redis://…): the benchmark is of the production stack")
    if not os.environ.get("REDIS_URL"):
        sys.exit("set REDIS_URL=redis://…: the production stack has the cache and broker in Redis")
    try:
        _run(args)
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


def _run(args) -> None:
    redis_url = os.environ["REDIS_URL"]
    os.environ.update(ENV)
    os.environ.pop("REDIS_URL")  # seeding runs its tasks in-process; the web nodes use Redis
    sessions = seed(args.physicians, args.institutions)
    sessions_file = SCRATCH / "sessions.json"
    sessions_file.write_text(json.dumps(sessions))

    env = {**os.environ, "REDIS_URL": redis_url, "CELERY_QUEUE": f"load-bench-{os.getpid()}"}
    port = free_port()
    figures = SCRATCH / "locust.json"
    locust_log = SCRATCH / "locust.log"
    server = None
    try:
        server = start_gunicorn(env, port)
        load_before = os.getloadavg()[0]
        print(f"load average before the run {load_before:.2f}")
        with open(locust_log, "w") as log:
            subprocess.run(  # noqa: S603
                [
                    str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                    "--users", str(args.users), "--spawn-rate", str(max(args.users // 10, 1)),
                    "--run-time", args.duration, "--host", f"http://127.0.0.1:{port}",
                    "--only-summary", "--loglevel", "WARNING",
                ],
                env={**env, "LOAD_SESSIONS": str(sessions_file), "LOAD_REPORT": str(figures)}, check=False,
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        forget_queue(redis_url, env["CELERY_QUEUE"])
    workers = os.environ.get("WEB_CONCURRENCY") or "gunicorn.conf.py's default"
    print(
        f"gunicorn workers: {workers}; {os.cpu_count()} cores; load average before {load_before:.2f}, "
        f"at the end {os.getloadavg()[0]:.2f} (1 min)"
    )
    if not figures.exists():
        sys.exit("locust wrote no figures:\n" + locust_log.read_text()[-5000:])
    failed = report(figures)
    if failed:  # what locust and the server said about them
        print(locust_log.read_text()[-3000:])
        print("".join((SCRATCH / "gunicorn.log").read_text().splitlines(keepends=True)[-60:]))
    sys.exit(1 if failed else 0)


def forget_queue(redis_url: str, queue: str) -> None:
    """Drop the run's own Celery queue: its notifications have no worker (the run measures the web tier)."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    client.delete(queue, f"_kombu.binding.{queue}")
    client.close()


if __name__ == "__main__":
    main()
