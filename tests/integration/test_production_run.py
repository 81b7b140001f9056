"""The production run, as the README describes it: collectstatic, then gunicorn serving the site,
its static files (whitenoise) and /healthz, with production settings."""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def production_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SMS_BACKEND", "STATIC_ROOT"}}
    env.update(
        DJANGO_SETTINGS_MODULE="docregistry.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",  # no TLS proxy in front here
        DOCREGISTRY_VAR_DIR=str(tmp_path / "var"),
        WEB_CONCURRENCY="2",
        LOG_FORMAT="json",
    )
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        env.pop("REDIS_URL", None)
    return env


def test_gunicorn_serves_the_site_static_files_and_healthz(production_env, tmp_path):
    collect = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=production_env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert collect.returncode == 0, collect.stdout + collect.stderr
    manifest = json.loads((tmp_path / "var" / "staticfiles" / "staticfiles.json").read_text())
    hashed_css = manifest["paths"]["css/bootstrap.min.css"]

    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        server = subprocess.Popen(  # noqa: S603
            [str(BIN / "gunicorn"), "docregistry.wsgi", "-c", "deploy/gunicorn.conf.py"],
            cwd=ROOT, env={**production_env, "BIND": f"127.0.0.1:{port}"}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, body = get(base + "/healthz")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # still booting
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert status == 200, body
        assert json.loads(body)["status"] == "ok"

        status, headers, body = get(base + "/")
        assert status == 200, log.read_text()[-3000:]
        assert f"/static/{hashed_css}".encode() in body  # pages link the hashed, cacheable name

        status, headers, body = get(f"{base}/static/{hashed_css}")
        assert status == 200 and headers["Content-Type"].startswith("text/css")
        assert "immutable" in headers.get("Cache-Control", "") or "max-age=315360000" in headers["Cache-Control"]
        assert headers.get("X-Request-ID")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("logger") == "docregistry.request"]
    assert {(r["path"], r["status"]) for r in requests} >= {("/healthz", 200), ("/", 200)}
    assert all(re.fullmatch(r"[0-9a-f]{32}", r["request_id"]) for r in requests)


def test_the_procfile_and_the_units_start_what_exists():
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ": " in line)
    assert set(procfile) >= {"web", "worker", "beat"}
    assert "gunicorn docregistry.wsgi -c deploy/gunicorn.conf.py" in procfile["web"]
    assert "celery -A docregistry worker" in procfile["worker"]
    assert "celery -A docregistry beat" in procfile["beat"]
    assert (ROOT / "deploy" / "gunicorn.conf.py").exists()
    units = {p.name: p.read_text() for p in (ROOT / "deploy" / "systemd").glob("*.service")}
    assert set(units) == {"docregistry-web.service", "docregistry-worker.service", "docregistry-beat.service"}
    for text in units.values():
        assert "EnvironmentFile=/etc/docregistry/docregistry.env" in text
    env_example = (ROOT / "deploy" / "docregistry.env.example").read_text()
    for name in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
        assert f"\n{name}=" in env_example
