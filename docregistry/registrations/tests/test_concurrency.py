"""Two people acting on the same application at once: exactly one wins."""

import pytest

from docregistry.registrations import services
from docregistry.registrations.models import Application, StatusChange
from tests.concurrency import needs_postgres, race
from tests.factories import StaffFactory

pytestmark = needs_postgres


@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_at_once_one_wins_and_one_is_told(world):
    application = world.submitted()
    colleague = StaffFactory(institution=world.institution)

    def approve(user):
        return lambda: services.application_approve_by_institution(
            application=Application.objects.get(pk=application.pk), actor=user
        )

    outcomes = race([approve(world.staff), approve(colleague)])

    wins = [o for o in outcomes if isinstance(o, Application)]
    losses = [o for o in outcomes if isinstance(o, services.AlreadyHandled)]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert StatusChange.objects.filter(application=application, to_state="institution_approved").count() == 1
    application.refresh_from_db()
    assert application.state == "institution_approved"


@pytest.mark.django_db(transaction=True)
def test_approve_and_return_at_once_leave_one_decision(world):
    application = world.submitted()

    def approve():
        return services.application_approve_by_institution(
            application=Application.objects.get(pk=application.pk), actor=world.staff
        )

    def send_back():
        return services.application_return_by_institution(
            application=Application.objects.get(pk=application.pk), actor=world.staff, comment="缺少材料"
        )

    outcomes = race([approve, send_back])

    assert sum(isinstance(o, Application) for o in outcomes) == 1
    assert sum(isinstance(o, services.AlreadyHandled) for o in outcomes) == 1
    assert StatusChange.objects.filter(application=application).exclude(from_state="draft").count() == 1
