"""Practice area, filed sites and several scopes (SPEC section 9), through the services and HTTP."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from docregistry.registrations import register, services
from docregistry.registrations.checklists import checklist_codes
from docregistry.registrations.models import Application, Notification, PracticeScope, PracticeSite, Registration
from tests.factories import (
    AuthorityFactory,
    ClerkFactory,
    InstitutionFactory,
    StaffFactory,
    application_for,
)

Type = Application.Type
TODAY = timezone.localdate


@pytest.fixture
def registration(world):
    return Registration.objects.get(certificate_code=world.approved().practice_certificate_code)


def filing(world, institution, *, scope="内科专业", ends_in_days=365, starts_on=None):
    """A multi-site draft filled in, not yet submitted."""
    application = services.application_create(
        physician=world.physician, type=Type.MULTI_SITE, qualification=world.qualification
    )
    return services.application_update(
        application=application,
        actor=world.physician,
        data={
            "institution": institution,
            "scope": scope,
            "site_starts_on": starts_on or TODAY(),
            "site_ends_on": TODAY() + datetime.timedelta(days=ends_in_days) if ends_in_days is not None else None,
        },
    )


def decide_filing(application, institution):
    """The site's institution confirms; the site's authority approves."""
    staff = StaffFactory(institution=institution)
    application = services.application_approve_by_institution(application=application, actor=staff)
    clerk = ClerkFactory(authority=AuthorityFactory(region_id=institution.region_id))
    return services.application_approve_by_authority(
        application=application, actor=clerk, checklist=checklist_codes(application)
    )


def submit_errors(application, actor):
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, actor=actor)
    return error.value.message_dict


def test_the_practice_area_is_the_province_for_a_physician_and_the_county_for_an_assistant(world, registration):
    assert registration.practice_area_id == "110000"
    assert register.practice_area_code(level="assistant", region_code="110105") == "110105"


def test_a_filing_in_another_province_is_refused_and_points_to_an_additional_registration(world, registration):
    chengdu = InstitutionFactory(region_id="510104", name="成都市第一人民医院")
    errors = submit_errors(filing(world, chengdu), world.physician)
    assert "成都市第一人民医院" in errors["institution"][0] and "北京市" in errors["institution"][0]


def test_an_assistant_files_only_in_the_county(world):
    world.qualification.level = "assistant"
    world.qualification.save()
    world.approved(level="assistant")
    haidian = InstitutionFactory(region_id="110108")
    errors = submit_errors(filing(world, haidian), world.physician)
    assert errors["institution"] == [
        str(register.MSG_SITE_OUTSIDE_AREA_ASSISTANT % {"institution": haidian.name, "area": "朝阳区"})
    ]


def test_a_site_scope_outside_the_registered_scopes_is_refused(world, registration):
    haidian = InstitutionFactory(region_id="110108")
    errors = submit_errors(filing(world, haidian, scope="外科专业"), world.physician)
    assert "外科专业" in errors["scope"][0] and "内科专业" in errors["scope"][0]


def test_the_filing_needs_an_end_date_not_in_the_past(world, registration):
    haidian = InstitutionFactory(region_id="110108")
    errors = submit_errors(filing(world, haidian, ends_in_days=None), world.physician)
    assert errors["site_ends_on"] == [str(services.MSG_REQUIRED_TO_SUBMIT)]


def test_the_filed_institutions_authority_decides_and_a_duplicate_is_refused(world, registration):
    haidian = InstitutionFactory(region_id="110108")
    application = services.application_submit(application=filing(world, haidian), actor=world.physician)
    # The physician's own district (Chaoyang) does not decide a filing in Haidian.
    assert not services.may_act(world.clerk, application, "authority")
    decide_filing(application, haidian)
    [site] = registration.sites.all()
    assert (site.institution, site.scope, site.ended_on) == (haidian, "内科专业", None)
    errors = submit_errors(filing(world, haidian), world.physician)
    assert errors["institution"] == [str(register.MSG_SITE_DUPLICATE % {"institution": haidian.name})]


def test_beat_ends_expired_filings_and_tells_the_physician_and_both_institutions(world, registration):
    haidian = InstitutionFactory(region_id="110108", mobile="13800000099")
    decide_filing(
        services.application_submit(application=filing(world, haidian, ends_in_days=30), actor=world.physician),
        haidian,
    )
    site = registration.sites.get()
    assert register.sites_end_expired(today=site.ends_on) == 0  # the last day is still a practice day
    before = Notification.objects.count()
    assert register.sites_end_expired(today=site.ends_on + datetime.timedelta(days=1)) == 1
    site.refresh_from_db()
    assert site.ended_on == site.ends_on
    recipients = set(Notification.objects.order_by("pk")[before:].values_list("recipient", flat=True))
    assert {world.physician.mobile, world.institution.mobile, "13800000099"} <= recipients
    assert register.sites_end_expired(today=site.ends_on + datetime.timedelta(days=2)) == 0
    # Once ended, the same institution may be filed again.
    assert "institution" not in register.filing_errors(application=filing(world, haidian))


def test_the_site_institution_may_end_a_filing_early_but_another_may_not(world, registration):
    haidian = InstitutionFactory(region_id="110108")
    site = PracticeSite.objects.create(
        registration=registration, institution=haidian, scope="内科专业", starts_on=TODAY(), ends_on=TODAY()
    )
    with pytest.raises(services.NotAllowed):
        register.site_end(site=site, actor=StaffFactory())
    register.site_end(site=site, actor=StaffFactory(institution=haidian))
    site.refresh_from_db()
    assert site.ended_on == TODAY()
    with pytest.raises(services.AlreadyHandled):
        register.site_end(site=site, actor=world.physician)


def test_the_physician_ends_a_filing_from_the_home_page(client, world, registration):
    haidian = InstitutionFactory(region_id="110108", name="海淀医院")
    site = PracticeSite.objects.create(
        registration=registration, institution=haidian, scope="内科专业", starts_on=TODAY(), ends_on=TODAY()
    )
    client.force_login(world.physician)
    body = client.get(reverse("physicians:index")).content.decode()
    assert "海淀医院" in body and reverse("physicians:site_end", args=[site.pk]) in body
    response = client.post(reverse("physicians:site_end", args=[site.pk]), follow=True)
    site.refresh_from_db()
    assert site.ended_on == TODAY()
    assert "海淀医院" in response.content.decode()
    other = InstitutionFactory()
    foreign = PracticeSite.objects.create(
        registration=Registration.objects.create(
            physician=StaffFactory(),
            certificate_code="110110105999999",
            institution=other,
            authority=world.authority,
            level="physician",
            category="clinical",
            scope="内科专业",
            effective_on=TODAY(),
        ),
        institution=haidian,
        scope="内科专业",
        starts_on=TODAY(),
    )
    assert client.post(reverse("physicians:site_end", args=[foreign.pk])).status_code == 404


def test_a_change_adds_a_further_scope_and_a_filing_may_then_use_it(world, registration):
    application = services.application_create(
        physician=world.physician, type=Type.CHANGE, qualification=world.qualification
    )
    application = services.application_update(
        application=application,
        actor=world.physician,
        data={"extra_scopes": ["外科专业", "内科专业"], "education": "本科", "health_status": "良好"},
    )
    assert application.extra_scopes == ["外科专业"]  # the first scope is not repeated
    application = services.application_submit(application=application, actor=world.physician)
    application = services.application_approve_by_institution(application=application, actor=world.staff)
    services.application_approve_by_authority(
        application=application, actor=world.clerk, checklist=checklist_codes(application)
    )
    registration.refresh_from_db()
    assert registration.scopes == ["内科专业", "外科专业"]
    haidian = InstitutionFactory(region_id="110108")
    assert "scope" not in register.filing_errors(application=filing(world, haidian, scope="外科专业"))


def test_an_unknown_further_scope_is_refused_next_to_the_field(world, registration):
    application = services.application_create(
        physician=world.physician, type=Type.CHANGE, qualification=world.qualification
    )
    with pytest.raises(ValidationError) as error:
        services.application_update(application=application, actor=world.physician, data={"extra_scopes": ["口腔专业"]})
    assert "extra_scopes" in error.value.message_dict


def test_the_dental_split_is_data(db):
    names = set(PracticeScope.objects.filter(category="dental").values_list("name", flat=True))
    assert {"口腔专业", "口腔麻醉专业", "口腔病理专业", "口腔影像专业"} <= names


def test_an_upgrade_keeps_the_assistants_further_scopes(world):
    assistant = Registration.objects.create(
        physician=world.physician,
        certificate_code="210110105000777",
        institution=world.institution,
        authority=world.authority,
        level="assistant",
        category="clinical",
        scope="内科专业",
        extra_scopes=["儿科专业"],
        practice_area_id="110105",
        effective_on=datetime.date(2020, 1, 1),
    )
    application = application_for(
        world.physician, world.institution, qualification=world.qualification, type=Type.UPGRADE, registration=assistant
    )
    application = services.application_submit(application=application, actor=world.physician)
    application = services.application_approve_by_institution(application=application, actor=world.staff)
    services.application_approve_by_authority(
        application=application, actor=world.clerk, checklist=checklist_codes(application)
    )
    upgraded = world.physician.registrations.get(state="active")
    assert upgraded.scopes == ["内科专业", "儿科专业"] and upgraded.practice_area_id == "110000"


def test_the_change_form_offers_further_scopes(client, world, registration):
    application = services.application_create(
        physician=world.physician, type=Type.CHANGE, qualification=world.qualification
    )
    client.force_login(world.physician)
    body = client.get(reverse("physicians:application_edit", args=[application.pk])).content.decode()
    assert 'name="extra_scopes"' in body and "外科专业" in body
