"""A change of main institution is registration with the new institution's authority (SPEC section 9)."""

from django.utils import timezone

from docregistry.registrations import services
from docregistry.registrations.checklists import checklist_codes
from docregistry.registrations.models import Application, Notification, PracticeSite, Registration
from tests.factories import AuthorityFactory, ClerkFactory, InstitutionFactory, StaffFactory


def move(world, registration, new_home):
    application = services.application_create(
        physician=world.physician, type=Application.Type.CHANGE, qualification=world.qualification
    )
    application = services.application_update(
        application=application,
        actor=world.physician,
        data={"institution": new_home, "education": "本科", "health_status": "良好"},
    )
    application = services.application_submit(application=application, actor=world.physician)
    application = services.application_approve_by_institution(
        application=application, actor=StaffFactory(institution=new_home)
    )
    clerk = ClerkFactory(authority=AuthorityFactory(region_id=new_home.region_id), mobile="13700000003")
    assert not services.may_act(world.clerk, application, "authority")  # the old authority does not decide
    services.application_approve_by_authority(
        application=application, actor=clerk, checklist=checklist_codes(application)
    )
    registration.refresh_from_db()
    return clerk


def test_the_new_institutions_authority_decides_and_becomes_the_issuing_authority(world):
    registration = Registration.objects.get(certificate_code=world.approved().practice_certificate_code)
    world.clerk.mobile = "13700000001"
    world.clerk.save()
    code = registration.certificate_code
    haidian_site = PracticeSite.objects.create(
        registration=registration,
        institution=InstitutionFactory(region_id="110108"),
        scope="内科专业",
        starts_on=timezone.localdate(),
    )
    chengdu = InstitutionFactory(region_id="510104", name="成都市第一人民医院")
    before = Notification.objects.count()
    clerk = move(world, registration, chengdu)
    assert registration.institution == chengdu and registration.authority == clerk.authority
    assert registration.practice_area_id == "510000"
    assert registration.certificate_code == code  # the code is kept on a change
    sent = list(Notification.objects.order_by("pk")[before:].values_list("recipient", "body"))
    moved = [recipient for recipient, body in sent if "成都市第一人民医院" in body]
    assert world.institution.mobile in moved
    assert "13700000001" in moved  # the old authority's clerk
    change = registration.changes.last()
    assert change.actor == clerk and world.institution.name in change.comment
    haidian_site.refresh_from_db()
    assert haidian_site.ended_on == timezone.localdate()  # outside the new practice area
