"""增加注册: an additional registration in another practice area (SPEC section 9), through the services and HTTP."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from docregistry.registrations import register, reviewform, selectors, services
from docregistry.registrations.checklists import checklist_codes
from docregistry.registrations.models import Application, Notification, Registration
from docregistry.registrations.register_models import RegistrationChange
from tests.factories import AuthorityFactory, ClerkFactory, InstitutionFactory, StaffFactory

Type = Application.Type


@pytest.fixture
def registration(world):
    return Registration.objects.get(certificate_code=world.approved().practice_certificate_code)


def additional(world, institution):
    application = services.application_create(
        physician=world.physician, type=Type.ADDITIONAL, qualification=world.qualification
    )
    return services.application_update(
        application=application,
        actor=world.physician,
        data={"institution": institution, "scope": "内科专业", "education": "本科", "health_status": "良好"},
    )


def submit_errors(application, actor):
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, actor=actor)
    return error.value.message_dict


def test_a_physician_registers_additionally_in_another_province_with_its_authority(world, registration):
    chengdu = InstitutionFactory(region_id="510104", name="成都市第一人民医院", mobile="13800000051")
    application = additional(world, chengdu)
    assert application.institution == chengdu and application.registration == registration
    application = services.application_submit(application=application, actor=world.physician)
    application = services.application_approve_by_institution(
        application=application, actor=StaffFactory(institution=chengdu)
    )
    assert not services.may_act(world.clerk, application, "authority")  # Beijing does not decide
    sichuan = ClerkFactory(authority=AuthorityFactory(region_id="510104"))
    before = Notification.objects.count()
    application = services.application_approve_by_authority(
        application=application, actor=sichuan, checklist=checklist_codes(application)
    )

    added = Registration.objects.get(certificate_code=application.practice_certificate_code)
    assert added.certificate_code.startswith("110510104")  # issued by the Chengdu authority
    assert (added.institution, added.authority, added.practice_area_id) == (chengdu, sichuan.authority, "510000")
    assert added.additional_to == registration and added.state == Registration.State.ACTIVE
    registration.refresh_from_db()
    assert registration.state == Registration.State.ACTIVE  # the Beijing registration stays in force
    assert RegistrationChange.objects.filter(registration=added, to_state="active", actor=sichuan).exists()
    recipients = set(Notification.objects.order_by("pk")[before:].values_list("recipient", flat=True))
    assert {world.physician.mobile, chengdu.mobile} <= recipients
    # Further applications still concern the registration the additional one was added to.
    assert selectors.registration_in_force(world.physician) == registration


def test_an_institution_inside_the_practice_area_is_refused_with_the_way_to_practise_there(world, registration):
    haidian = InstitutionFactory(region_id="110108", name="海淀医院")
    errors = submit_errors(additional(world, haidian), world.physician)
    assert errors["institution"] == [
        str(register.MSG_ADDITIONAL_INSIDE_AREA % {"institution": "海淀医院", "area": "北京市"})
    ]


def test_a_second_additional_registration_in_the_same_area_is_refused(world, registration):
    chengdu = InstitutionFactory(region_id="510104")
    Registration.objects.create(
        physician=world.physician,
        certificate_code="115105104000009",
        institution=chengdu,
        authority=AuthorityFactory(region_id="510104"),
        level="physician",
        category="clinical",
        scope="内科专业",
        practice_area_id="510000",
        additional_to=registration,
        effective_on=registration.effective_on,
    )
    mianyang = InstitutionFactory(region_id="510107", name="武侯区医院")
    errors = submit_errors(additional(world, mianyang), world.physician)
    assert "115105104000009" in errors["institution"][0] and "四川省" in errors["institution"][0]


def test_an_assistant_is_refused_with_the_reason(world):
    world.qualification.level = "assistant"
    world.qualification.save()
    world.approved(level="assistant")
    with pytest.raises(ValidationError) as error:
        services.application_create(physician=world.physician, type=Type.ADDITIONAL, qualification=world.qualification)
    assert error.value.message_dict["type"] == [str(register.MSG_ADDITIONAL_NEEDS_PHYSICIAN)]


def test_without_a_registration_in_force_there_is_nothing_to_add_to(world):
    with pytest.raises(ValidationError) as error:
        services.application_create(physician=world.physician, type=Type.ADDITIONAL, qualification=world.qualification)
    assert error.value.message_dict["type"] == [str(services.MSG_REGISTRATION_IN_FORCE_REQUIRED)]


def test_the_printed_form_is_titled_additional_registration(world, registration):
    application = additional(world, InstitutionFactory(region_id="510104"))
    assert reviewform.form_context(application)["type"] == "增加注册"


# ---- Through HTTP ----------------------------------------------------------------------------


def test_the_physician_portal_offers_it_and_an_assistant_reads_why_not_in_chinese(client, world):
    world.qualification.level = "assistant"
    world.qualification.save()
    world.approved(level="assistant")
    client.force_login(world.physician)
    form = client.get(reverse("physicians:application_new")).content.decode()
    assert 'value="additional"' in form and "增加注册" in form
    response = client.post(
        reverse("physicians:application_new"), {"type": Type.ADDITIONAL, "qualification": world.qualification.pk}
    )
    assert response.status_code == 200
    assert "执业助理医师" in response.content.decode() and "增加注册" in response.content.decode()
    assert not world.physician.applications.filter(type=Type.ADDITIONAL).exists()


def test_submitting_inside_the_area_over_http_keeps_the_draft_and_says_why(client, world, registration):
    client.force_login(world.physician)
    response = client.post(
        reverse("physicians:application_new"), {"type": Type.ADDITIONAL, "qualification": world.qualification.pk}
    )
    application = world.physician.applications.get(type=Type.ADDITIONAL)
    assert response["Location"] == reverse("physicians:application_edit", args=[application.pk])
    application.institution = InstitutionFactory(region_id="110108", name="海淀医院")
    application.education = "本科"
    application.save()
    response = client.post(reverse("physicians:application_submit", args=[application.pk]), follow=True)
    application.refresh_from_db()
    assert application.state == Application.State.DRAFT
    assert escape("海淀医院") in response.content.decode() and "多机构备案" in response.content.decode()


def test_the_other_areas_clerk_approves_over_http_and_the_physician_sees_both(client, world, registration):
    chengdu = InstitutionFactory(region_id="510104", name="成都市第一人民医院")
    application = services.application_approve_by_institution(
        application=services.application_submit(application=additional(world, chengdu), actor=world.physician),
        actor=StaffFactory(institution=chengdu),
    )
    client.force_login(world.clerk)  # Beijing's clerk cannot open it
    assert client.get(reverse("authority:application", args=[application.pk])).status_code == 404
    client.force_login(ClerkFactory(authority=AuthorityFactory(region_id="510104")))
    response = client.post(
        reverse("authority:approve", args=[application.pk]), {"checklist": checklist_codes(application)}, follow=True
    )
    application.refresh_from_db()
    assert application.state == Application.State.AUTHORITY_APPROVED
    client.force_login(world.physician)
    page = client.get(reverse("physicians:index")).content.decode()
    assert registration.certificate_code in page and application.practice_certificate_code in page
    assert "成都市第一人民医院" in page
    assert response.status_code == 200


def test_a_filing_in_the_area_of_the_additional_registration_is_filed_under_it(world, registration):
    chengdu = InstitutionFactory(region_id="510104", name="成都市第一人民医院")
    sichuan = ClerkFactory(authority=AuthorityFactory(region_id="510104"))
    application = services.application_approve_by_institution(
        application=services.application_submit(application=additional(world, chengdu), actor=world.physician),
        actor=StaffFactory(institution=chengdu),
    )
    approved = services.application_approve_by_authority(
        application=application, actor=sichuan, checklist=checklist_codes(application)
    )
    added = Registration.objects.get(certificate_code=approved.practice_certificate_code)
    wuhou = InstitutionFactory(region_id="510107", name="武侯区医院")
    filing = services.application_create(
        physician=world.physician, type=Type.MULTI_SITE, qualification=world.qualification
    )
    filing = services.application_update(
        application=filing,
        actor=world.physician,
        data={
            "institution": wuhou,
            "scope": "内科专业",
            "site_starts_on": datetime.date.today(),
            "site_ends_on": datetime.date.today() + datetime.timedelta(days=90),
        },
    )
    assert filing.registration == added  # not the Beijing one, whose area does not hold Wuhou
    filing = services.application_approve_by_institution(
        application=services.application_submit(application=filing, actor=world.physician),
        actor=StaffFactory(institution=wuhou),
    )
    wuhou_clerk = ClerkFactory(authority=AuthorityFactory(region_id="510107"))  # the site's authority decides
    services.application_approve_by_authority(application=filing, actor=wuhou_clerk, checklist=checklist_codes(filing))
    assert added.sites.get().institution == wuhou and not registration.sites.exists()
