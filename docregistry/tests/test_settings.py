"""The environment switches the real services on; production refuses to start half-configured."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, "
    "'cache': s.CACHES['default']['BACKEND'], 'sms': s.SMS_BACKEND, 'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE}))"
)


def _run(settings_module: str, code: str, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SMS_BACKEND"}}
    clean.update(DJANGO_SETTINGS_MODULE=settings_module, **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def _settings(**env) -> dict:
    result = _run("docregistry.settings.dev", PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_defaults_need_no_services():
    found = _settings()
    assert found["db"] == "django.db.backends.sqlite3"
    assert found["eager"] is True
    assert found["cache"].endswith("LocMemCache")
    assert found["sms"].endswith("console.SmsBackend")
    assert (found["tz"], found["lang"]) == ("Asia/Shanghai", "zh-hans")


def test_database_and_redis_urls_switch_to_the_real_services():
    found = _settings(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/docregistry", REDIS_URL="redis://127.0.0.1:6379/2"
    )
    assert found["db"] == "django.db.backends.postgresql"
    assert found["name"] == "docregistry"
    assert found["eager"] is False
    assert found["broker"] == "redis://127.0.0.1:6379/2"
    assert found["cache"].endswith("RedisCache")


def test_production_refuses_to_start_without_a_secret_key():
    result = _run("docregistry.settings.production", PROBE, ALLOWED_HOSTS="registry.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_with_staff_two_factor_off():
    result = _run(
        "docregistry.settings.production",
        PROBE,
        ALLOWED_HOSTS="registry.example.org",
        SECRET_KEY=secrets.token_urlsafe(64),
        STAFF_TWO_FACTOR="0",
    )
    assert result.returncode != 0
    assert "STAFF_TWO_FACTOR" in result.stderr


@pytest.mark.parametrize("extra", [{}, {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/docregistry"}])
def test_production_passes_the_deployment_checklist_with_no_warnings(extra):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
            "DJANGO_SETTINGS_MODULE": "docregistry.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "registry.example.org",
            **extra,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
