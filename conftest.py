"""Fixtures shared by every test package: the demo world and a user per role."""

import pytest

from docregistry.accounts.sms import locmem
from tests import factories


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
