"""Fixtures shared by every test package: the demo world and a user per role."""

import pytest

from docregistry.accounts.sms import locmem
from tests import factories


@pytest.fixture(autouse=True)
def _sms_outbox():
    locmem.outbox.clear()
    yield locmem.outbox


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
