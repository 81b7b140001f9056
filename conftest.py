"""Fixtures shared by every test package: the demo world, a user per role, a real browser."""

import os
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client

from docregistry.accounts.sms import locmem
from tests import factories

_client_login = Client._login


def _login_otp_verified(self, user, backend=None):
    """``client.force_login`` / ``client.login`` bypass the login form anyway: for staff they also mark the
    session as two-factor verified (a device made for it), so staff tests need not enter a TOTP code.
    The two-factor flow's own tests (docregistry/accounts/tests/test_twofactor.py) sign in through the forms."""
    _client_login(self, user, backend)
    from tests.otp import mark_verified

    session = self.session
    mark_verified(session, user)
    session.save()


Client._login = _login_otp_verified


@pytest.fixture(autouse=True)
def _sms_outbox():
    locmem.outbox.clear()
    yield locmem.outbox


@pytest.fixture(autouse=True)
def _serialized_rollback(django_db_serialized_rollback):
    """Every transactional test restores the migrated data (regions, scopes, content types).

    A transactional test flushes the database afterwards; without serialized
    rollback the flush re-creates content types with new ids and every later
    ``serialized_rollback`` test fails at set-up ("duplicate key ... content type"),
    and the reference data from the data migration is gone. Ignored by tests that
    use the plain ``db`` fixture.
    """


@pytest.fixture
def sms_outbox(_sms_outbox):
    return _sms_outbox


@pytest.fixture
def world(db):
    return factories.World.create()


@pytest.fixture
def physician(world):
    return world.physician


@pytest.fixture
def staff(world):
    return world.staff


@pytest.fixture
def clerk(world):
    return world.clerk


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium driven by Playwright (never a downloaded browser); skipped where none is installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        # ORM calls made while Playwright's loop runs get their own connection: close it here, inside.
        connections.close_all()
        chromium.close()
