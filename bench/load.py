"""Load benchmark: gunicorn + PostgreSQL + Redis under locust's simulated users of the three portals.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dr_load REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python bench/load.py                      # 50 users for 3 minutes
    ... bench/load.py --users 10 --duration 20s             # a short smoke run (CI)

It migrates the database, adds a world of its own (institutions, a district authority, physicians
with applications in every state; names carry a run id, so runs can share a database), signs every
user in by creating their sessions directly (no login page, so throttling and two-factor sign-in do
not get in the way), starts gunicorn with the production settings and ``deploy/gunicorn.conf.py``,
runs locust headless (``bench/locustfile.py``: physicians 6, staff 3, clerks 1 of every 10 users)
and prints requests/s, p50/p95/p99 per page and the errors. Exits 1 when any request failed.
Locust runs on the same machine as the server: its own CPU is counted against the site.
"""

import argparse
import csv
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
    """Institutions with staff, one authority with clerks, physicians with 1–2 applications each."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

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
        for n in range(max(physicians // 100, 2))
    ]
    hospitals = [
        factories.InstitutionFactory(name=f"负载测试医院{run}-{n}", registration_number=f"L{run}{n:04d}-911010516")
        for n in range(institutions)
    ]
    staff = {
        h.pk: factories.StaffFactory(username=f"load-{run}-staff{n}", institution=h) for n, h in enumerate(hospitals)
    }
    steps = ("draft", "submitted", "institution_approved", "approved")
    doctors = []
    started = time.perf_counter()
    for n in range(physicians):
        doctor = factories.PhysicianFactory(
            username=f"load-{run}-doc{n}",
            id_number=make_id_number("110105", born + datetime.timedelta(days=n // 1000), n % 1000),
            mobile=f"13{rng.randrange(10**9):09d}",
            email=f"load-{run}-{n}@example.com",
        )
        hospital = hospitals[n % len(hospitals)]
        world = factories.World(
            physician=doctor,
            qualification=factories.qualification_for(doctor),
            institution=hospital,
            staff=staff[hospital.pk],
            authority=authority,
            clerk=clerks[n % len(clerks)],
        )
        getattr(world, rng.choice(steps))()
        doctors.append(doctor)
    print(f"seeded {physicians:,} physicians, {institutions} institutions in {time.perf_counter() - started:.0f} s")

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
        "physician": [{"session": session(d), "applications": by_doctor[d.pk]} for d in doctors],
        "institution": [{"session": session(s), "applications": by_hospital.get(pk) or [0]} for pk, s in staff.items()],
        "authority": [{"session": session(c), "applications": waiting or [0]} for c in clerks],
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


def report(prefix: Path, seconds: float) -> int:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))  # noqa: SIM115
    print(f"\n{'page':34} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7}")
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = "all pages" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"{name:34} {int(row['Request Count']):>9,} {float(row['Requests/s']):>7.1f} {row['50%']:>7} "
            f"{row['95%']:>7} {row['99%']:>7} {int(row['Failure Count']):>7,}"
        )
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")))  # noqa: SIM115
    for failure in failures:
        print(f"  error: {failure['Name']}: {failure['Error']} x{failure['Occurrences']}")
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print(f"\n{int(total['Request Count']):,} requests in {seconds:.0f} s, {int(total['Failure Count']):,} errors")
    return int(total["Failure Count"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", default="3m", help="locust's --run-time: 3m, 20s, …")
    parser.add_argument("--physicians", type=int, default=300)
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
    prefix = SCRATCH / "locust"
    server = None
    try:
        server = start_gunicorn(env, port)
        started = time.monotonic()
        subprocess.run(  # noqa: S603
            [
                str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                "--users", str(args.users), "--spawn-rate", str(max(args.users // 10, 1)),
                "--run-time", args.duration, "--host", f"http://127.0.0.1:{port}",
                "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
            ],
            env={**env, "LOAD_SESSIONS": str(sessions_file)}, check=False, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        seconds = time.monotonic() - started
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    workers = os.environ.get("WEB_CONCURRENCY") or "gunicorn.conf.py's default"
    print(f"gunicorn workers: {workers}; {os.cpu_count()} cores; load average now {os.getloadavg()[0]:.1f}")
    failed = report(prefix, seconds)
    if failed:  # what the server said about them
        print("".join((SCRATCH / "gunicorn.log").read_text().splitlines(keepends=True)[-60:]))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
