"""Two clicks on "create draft" at the same moment make one draft (PostgreSQL row locks)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from docregistry.registrations import services
from docregistry.registrations.models import Application

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_creates_make_one_open_application(world):
    barrier = threading.Barrier(2)
    outcomes = []

    def create():
        try:
            barrier.wait()
            outcomes.append(
                services.application_create(
                    physician=world.physician, type=Application.Type.FIRST, qualification=world.qualification
                )
            )
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(type(o).__name__ for o in outcomes) == ["Application", "ValidationError"], outcomes
    winner = next(o for o in outcomes if isinstance(o, Application))
    refused = next(o for o in outcomes if isinstance(o, ValidationError))
    assert refused.messages == [str(services.MSG_ONE_OPEN_APPLICATION % {"number": winner.get_state_display()})]
    assert world.physician.applications.count() == 1
