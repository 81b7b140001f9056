"""The register's states through the services: suspend, lift, cancel, revoke; audit rows and notifications."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from docregistry.registrations import register, services
from docregistry.registrations.checklists import checklist_codes
from docregistry.registrations.grounds import GROUNDS
from docregistry.registrations.models import Notification, PracticeSite, Registration
from docregistry.registrations.register_models import Ground, RegistrationChange
from tests.factories import AuthorityFactory, ClerkFactory, InstitutionFactory

State = Registration.State


@pytest.fixture
def registration(world):
    application = world.approved()
    return Registration.objects.get(certificate_code=application.practice_certificate_code)


def notifications_since(before):
    return list(Notification.objects.filter(pk__gt=before).order_by("pk"))


def last_pk():
    last = Notification.objects.order_by("-pk").first()
    return last.pk if last else 0


def test_every_statutory_ground_is_data_with_its_legal_basis(db):
    for kind, rows in GROUNDS.items():
        assert Ground.objects.filter(kind=kind).count() == len(rows)
    ground = Ground.objects.get(kind="cancellation", code="death")
    assert ground.text == "死亡或者被宣告失踪"
    assert "第十八条" in ground.legal_basis
    refusal_codes = set(Ground.objects.filter(kind="refusal").values_list("code", flat=True))
    # 医师法 art. 16 in full: capacity, sentence, ban, revocation, failed periodic assessment, health, other.
    assert {"no_capacity", "criminal", "ban", "revoked", "assessment_cancelled", "health", "other"} <= refusal_codes


def test_approval_writes_the_first_audit_row(world, registration):
    change = registration.changes.get()
    assert (change.from_state, change.to_state, change.actor, change.actor_role) == (
        "",
        State.ACTIVE,
        world.clerk,
        "authority",
    )


def test_suspension_is_audited_and_told_to_the_physician_and_every_institution(world, registration):
    site_institution = InstitutionFactory(mobile="13800000077")
    PracticeSite.objects.create(
        registration=registration, institution=site_institution, scope="内科专业", starts_on=timezone.localdate()
    )
    before = last_pk()
    until = timezone.localdate() + datetime.timedelta(days=90)
    register.registration_suspend(
        registration=registration, actor=world.clerk, ground="assessment_failed", until=until, comment="考核不合格"
    )
    registration.refresh_from_db()
    assert (registration.state, registration.suspended_until, registration.ground.code) == (
        State.SUSPENDED,
        until,
        "assessment_failed",
    )
    change = registration.changes.last()
    assert (change.actor, change.actor_role, change.from_state, change.to_state) == (
        world.clerk,
        "authority",
        State.ACTIVE,
        State.SUSPENDED,
    )
    assert change.ground.code == "assessment_failed" and change.comment == "考核不合格"
    sent = notifications_since(before)
    recipients = {n.recipient for n in sent}
    assert {world.physician.mobile, world.physician.email, world.institution.mobile, "13800000077"} <= recipients
    to_physician = next(n for n in sent if n.recipient == world.physician.mobile)
    assert "暂停" in to_physician.body and until.isoformat() in to_physician.body
    assert "行政复议" in to_physician.body and "60" in to_physician.body and "行政诉讼" in to_physician.body


def test_a_suspension_must_end_after_today_and_needs_a_ground(world, registration):
    with pytest.raises(ValidationError) as error:
        register.registration_suspend(
            registration=registration, actor=world.clerk, ground="penalty", until=timezone.localdate()
        )
    assert "until" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        register.registration_suspend(
            registration=registration,
            actor=world.clerk,
            ground="death",  # a cancellation ground, not a suspension ground
            until=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert "ground" in error.value.message_dict
    registration.refresh_from_db()
    assert registration.state == State.ACTIVE
    assert registration.changes.count() == 1


def test_beat_lifts_a_suspension_the_day_after_its_last_day(world, registration):
    today = timezone.localdate()
    until = today + datetime.timedelta(days=30)
    register.registration_suspend(registration=registration, actor=world.clerk, ground="penalty", until=until)
    assert register.suspensions_lift_expired(today=until) == 0  # still suspended on its last day
    registration.refresh_from_db()
    assert registration.state == State.SUSPENDED
    before = last_pk()
    assert register.suspensions_lift_expired(today=until + datetime.timedelta(days=1)) == 1
    registration.refresh_from_db()
    assert registration.state == State.ACTIVE and registration.suspended_until is None
    change = registration.changes.last()
    assert (change.actor, change.actor_role, change.to_state) == (None, "system", State.ACTIVE)
    assert any(n.recipient == world.physician.mobile for n in notifications_since(before))
    assert register.suspensions_lift_expired(today=until + datetime.timedelta(days=2)) == 0


def test_cancellation_of_its_own_motion_ends_the_filed_sites_and_records_the_ground(world, registration):
    site = PracticeSite.objects.create(
        registration=registration, institution=InstitutionFactory(), scope="内科专业", starts_on=timezone.localdate()
    )
    before = last_pk()
    register.registration_cancel(registration=registration, actor=world.clerk, ground="death")
    registration.refresh_from_db()
    site.refresh_from_db()
    assert registration.state == State.CANCELLED and registration.ended_on == timezone.localdate()
    assert registration.ground.text == "死亡或者被宣告失踪"
    assert site.ended_on == timezone.localdate()
    recipients = {n.recipient for n in notifications_since(before)}
    assert site.institution.mobile in recipients and world.physician.mobile in recipients
    with pytest.raises(services.AlreadyHandled):
        register.registration_revoke(registration=registration, actor=world.clerk, ground="improper_means")


def test_revocation_is_a_state_of_its_own(world, registration):
    register.registration_revoke(registration=registration, actor=world.clerk, ground="improper_means", comment="伪造")
    registration.refresh_from_db()
    assert registration.state == State.REVOKED and registration.get_state_display()
    assert registration.changes.last().ground.code == "improper_means"


def test_a_clerk_of_another_jurisdiction_may_not_touch_the_registration(world, registration):
    chengdu = ClerkFactory(authority=AuthorityFactory(region_id="510104"))
    with pytest.raises(services.NotAllowed):
        register.registration_cancel(registration=registration, actor=chengdu, ground="death")
    with pytest.raises(services.NotAllowed):
        register.registration_cancel(registration=registration, actor=world.physician, ground="death")
    registration.refresh_from_db()
    assert registration.state == State.ACTIVE


def test_reinstating_early_ends_the_suspension(world, registration):
    register.registration_suspend(
        registration=registration,
        actor=world.clerk,
        ground="penalty",
        until=timezone.localdate() + datetime.timedelta(days=10),
    )
    register.registration_reinstate(registration=registration, actor=world.clerk, comment="复查合格")
    registration.refresh_from_db()
    assert registration.state == State.ACTIVE
    assert list(registration.changes.values_list("to_state", flat=True)) == [
        State.ACTIVE,
        State.SUSPENDED,
        State.ACTIVE,
    ]


def test_the_physicians_own_cancellation_is_audited_with_own_request(world, registration):
    application = services.application_create(
        physician=world.physician, type="cancel", qualification=world.qualification
    )
    application = services.application_update(
        application=application, actor=world.physician, data={"cancellation_reason": "出国"}
    )
    application = services.application_submit(application=application, actor=world.physician)
    application = services.application_approve_by_institution(application=application, actor=world.staff)
    services.application_approve_by_authority(
        application=application, actor=world.clerk, checklist=checklist_codes(application)
    )
    registration.refresh_from_db()
    assert registration.state == State.CANCELLED and registration.ground.code == "own_request"
    change = RegistrationChange.objects.filter(registration=registration).last()
    assert change.application == application and change.comment == "出国"


def test_a_refusal_notice_names_the_rights_of_review_and_lawsuit(world):
    application = world.institution_approved()
    before = last_pk()
    services.application_refuse(application=application, actor=world.clerk, ground="ban")
    application.refresh_from_db()
    assert "被依法禁止从事医师职业的期限未满" in application.authority_opinion
    sms = next(n for n in notifications_since(before) if n.recipient == world.physician.mobile)
    assert "行政复议" in sms.body and "6" in sms.body and "行政诉讼" in sms.body
