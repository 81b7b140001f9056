"""Every transition from every state: allowed where declared, refused elsewhere, always audited."""

import itertools
import re

import pytest
from django.core.exceptions import ValidationError

from docregistry.accounts.models import Role
from docregistry.registrations import services
from docregistry.registrations.checklists import checklist_codes
from docregistry.registrations.models import Application, Registration, StatusChange
from tests.factories import ClerkFactory, PhysicianFactory, StaffFactory

State = Application.State


def _move(world, application, name):
    """Perform transition ``name`` as the user whose role it names."""
    actor = {Role.PHYSICIAN: world.physician, Role.INSTITUTION: world.staff, Role.AUTHORITY: world.clerk}
    actor = actor[services.TRANSITIONS[name].role]
    calls = {
        "submit": lambda: services.application_submit(application=application, actor=actor, ip="10.0.0.1"),
        "withdraw": lambda: services.application_withdraw(application=application, actor=actor, ip="10.0.0.1"),
        "institution_approve": lambda: services.application_approve_by_institution(
            application=application, actor=actor, ip="10.0.0.1"
        ),
        "institution_return": lambda: services.application_return_by_institution(
            application=application, actor=actor, comment="请补充工作经历", ip="10.0.0.1"
        ),
        "authority_approve": lambda: services.application_approve_by_authority(
            application=application, actor=actor, checklist=checklist_codes(application), ip="10.0.0.1"
        ),
        "authority_return": lambda: services.application_return_by_authority(
            application=application, actor=actor, comment="照片不符合要求", ip="10.0.0.1"
        ),
        "authority_refuse": lambda: services.application_refuse(
            application=application, actor=actor, ground="health", ip="10.0.0.1"
        ),
    }
    return calls[name]()


def _in_state(world, state):
    """An application brought to ``state`` through the services."""
    application = world.draft()
    path = {
        State.DRAFT: [],
        State.SUBMITTED: ["submit"],
        State.INSTITUTION_APPROVED: ["submit", "institution_approve"],
        State.AUTHORITY_APPROVED: ["submit", "institution_approve", "authority_approve"],
        State.RETURNED: ["submit", "institution_return"],
        State.REFUSED: ["submit", "institution_approve", "authority_refuse"],
        State.WITHDRAWN: ["withdraw"],
    }[state]
    for name in path:
        application = _move(world, application, name)
    return application


CASES = list(itertools.product(services.TRANSITIONS, State.values))


@pytest.mark.parametrize(("name", "state"), CASES, ids=[f"{n}-from-{s}" for n, s in CASES])
def test_transition_from_every_state(world, name, state):
    application = _in_state(world, state)
    transition = services.TRANSITIONS[name]
    changes_before = StatusChange.objects.filter(application=application).count()

    if state in transition.sources:
        moved = _move(world, application, name)
        assert moved.state == transition.target
        change = StatusChange.objects.filter(application=application).latest("pk")
        assert (change.from_state, change.to_state) == (state, transition.target)
        assert change.actor_role == transition.role
        assert change.ip_address == "10.0.0.1"
    else:
        with pytest.raises(services.AlreadyHandled) as excinfo:
            _move(world, application, name)
        assert "Nothing was changed" in str(excinfo.value) or "没有任何改动" in str(excinfo.value)
        application.refresh_from_db()
        assert application.state == state
        assert StatusChange.objects.filter(application=application).count() == changes_before


def test_submit_issues_a_readable_application_number(world):
    first = world.submitted()
    assert re.fullmatch(r"\d{4}-110105-000001", first.number)
    services.application_withdraw(application=first, actor=world.physician)
    second = world.submitted()
    assert second.number.endswith("-000002")


def test_resubmitting_a_returned_application_keeps_its_number(world):
    application = world.submitted()
    number = application.number
    application = services.application_return_by_institution(
        application=application, actor=world.staff, comment="缺照片"
    )
    application = services.application_submit(application=application, actor=world.physician)
    assert application.number == number
    assert application.state == State.SUBMITTED


def test_audit_record_holds_actor_role_time_states_comment_and_ip(world):
    application = world.submitted()
    services.application_return_by_institution(
        application=application, actor=world.staff, comment="执业范围与资格类别不符", ip="203.0.113.9"
    )
    change = application.status_changes.latest("pk")
    assert change.actor == world.staff
    assert change.actor_role == "institution"
    assert change.from_state == "submitted" and change.to_state == "returned"
    assert change.comment == "执业范围与资格类别不符"
    assert change.ip_address == "203.0.113.9"
    assert change.created_at is not None


@pytest.mark.parametrize("name", ["institution_return", "authority_return"])
def test_return_requires_a_reason(world, name):
    application = world.submitted() if name == "institution_return" else world.institution_approved()
    service = {
        "institution_return": (services.application_return_by_institution, world.staff),
        "authority_return": (services.application_return_by_authority, world.clerk),
    }[name]
    with pytest.raises(ValidationError) as excinfo:
        service[0](application=application, actor=service[1], comment="   ")
    assert "comment" in excinfo.value.message_dict
    application.refresh_from_db()
    assert application.state in (State.SUBMITTED, State.INSTITUTION_APPROVED)


def test_refusal_needs_a_legal_ground(world):
    application = world.institution_approved()
    with pytest.raises(ValidationError):
        services.application_refuse(application=application, actor=world.clerk, ground="because")
    refused = services.application_refuse(application=application, actor=world.clerk, ground="forged")
    assert refused.refusal_ground == "forged"
    assert "以伪造、变造或者借用他人医师资格证书" in refused.authority_opinion


@pytest.mark.django_db
def test_only_the_parties_of_an_application_may_move_it(world):
    application = world.submitted()
    other_physician = PhysicianFactory()
    other_staff = StaffFactory()
    other_clerk = ClerkFactory(authority__region_id="510107")
    with pytest.raises(services.NotAllowed):
        services.application_withdraw(application=application, actor=other_physician)
    with pytest.raises(services.NotAllowed):
        services.application_approve_by_institution(application=application, actor=other_staff)
    approved = services.application_approve_by_institution(application=application, actor=world.staff)
    with pytest.raises(services.NotAllowed):
        services.application_approve_by_authority(
            application=approved, actor=other_clerk, checklist=checklist_codes(approved)
        )
    with pytest.raises(services.NotAllowed):  # a physician cannot approve their own application
        services.application_approve_by_institution(application=application, actor=world.physician)


def test_authority_approval_needs_the_whole_checklist(world):
    application = world.institution_approved()
    with pytest.raises(ValidationError) as excinfo:
        services.application_approve_by_authority(
            application=application, actor=world.clerk, checklist=["review_form", "id_card"]
        )
    assert "checklist" in excinfo.value.message_dict
    application.refresh_from_db()
    assert application.state == State.INSTITUTION_APPROVED
    assert application.practice_certificate_code == ""


def test_authority_approval_issues_a_certificate_code_and_a_registration(world):
    application = world.approved()
    code = application.practice_certificate_code
    assert re.fullmatch(r"110110105\d{6}", code)  # physician(1) clinical(10) 110105 serial
    registration = Registration.objects.get(physician=world.physician)
    assert registration.certificate_code == code
    assert registration.institution == world.institution
    assert registration.scope == "内科专业"


def test_available_transitions_offer_the_buttons_each_party_may_press(world):
    application = world.submitted()
    names = lambda user: [t.name for t in services.available_transitions(application=application, user=user)]  # noqa: E731
    assert names(world.physician) == ["withdraw"]
    assert names(world.staff) == ["institution_approve", "institution_return"]
    assert names(world.clerk) == []


REASONED = [name for name, t in services.TRANSITIONS.items() if t.reason_required]


@pytest.mark.parametrize("name", REASONED)
def test_every_transition_the_table_marks_reason_required_refuses_an_empty_reason(world, name):
    transition = services.TRANSITIONS[name]
    source = next(state for state in transition.sources)
    application = _in_state(world, source)
    actor = {Role.PHYSICIAN: world.physician, Role.INSTITUTION: world.staff, Role.AUTHORITY: world.clerk}
    with pytest.raises(ValidationError) as excinfo:
        services.application_transition(application=application, name=name, actor=actor[transition.role], comment="   ")
    assert "comment" in excinfo.value.error_dict
    application.refresh_from_db()
    assert application.state == source
