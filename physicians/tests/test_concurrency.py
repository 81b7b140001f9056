"""Two clicks on "create draft" at the same moment make one draft (PostgreSQL row locks)."""

import pytest
from django.core.exceptions import ValidationError

from docregistry.registrations import services
from docregistry.registrations.models import Application
from tests.concurrency import needs_postgres, race

pytestmark = needs_postgres


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_creates_make_one_open_application(world):
    def create():
        return services.application_create(
            physician=world.physician, type=Application.Type.FIRST, qualification=world.qualification
        )

    outcomes = race([create, create])

    assert sorted(type(o).__name__ for o in outcomes) == ["Application", "ValidationError"], outcomes
    winner = next(o for o in outcomes if isinstance(o, Application))
    refused = next(o for o in outcomes if isinstance(o, ValidationError))
    assert refused.messages == [str(services.MSG_ONE_OPEN_APPLICATION % {"number": winner.get_state_display()})]
    assert world.physician.applications.count() == 1
