"""Fixtures of the physician portal tests: signed-in clients and readable SMS codes."""

import re

import pytest

from tests import factories


@pytest.fixture
def phys_client(client, world):
    client.force_login(world.physician)
    return client


@pytest.fixture
def other_physician(db):
    other = factories.PhysicianFactory(real_name="李娜")
    factories.qualification_for(other)
    return other


def last_code(sms_outbox, mobile: str) -> str:
    """The 6-digit code of the newest SMS sent to ``mobile``."""
    bodies = [m.body for m in sms_outbox if m.to == mobile]
    assert bodies, f"no SMS was sent to {mobile}"
    return re.search(r"\d{6}", bodies[-1]).group()
