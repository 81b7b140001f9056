"""Each type's own paper checklist (data, ``checklists.checklist_for``) gates its approval, through HTTP."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from docregistry.registrations import services
from docregistry.registrations.checklists import SEED, checklist_codes, checklist_for
from docregistry.registrations.models import Application, AppType
from docregistry.registrations.paper_models import ChecklistItem

State = Application.State


@pytest.fixture
def clerk_client(client, world):
    client.force_login(world.clerk)
    return client


def test_every_type_has_its_own_seeded_list(db):
    for type_ in [*AppType.values, "additional"]:
        assert checklist_codes(type_) == list(SEED[type_]), type_
    assert "assistant_certificate" in checklist_codes(AppType.UPGRADE)
    assert "assessment_proof" in checklist_codes(AppType.REREGISTER)
    assert "filing_agreement" in checklist_codes(AppType.MULTI_SITE)
    assert "certificate_return" in checklist_codes(AppType.CANCEL)
    assert checklist_codes(AppType.FIRST) != checklist_codes(AppType.CANCEL)


def _cancellation(world) -> Application:
    world.approved()
    application = services.application_create(
        physician=world.physician, type="cancel", qualification=world.qualification
    )
    application = services.application_update(
        application=application, actor=world.physician, data={"cancellation_reason": "出国"}
    )
    application = services.application_submit(application=application, actor=world.physician)
    return services.application_approve_by_institution(application=application, actor=world.staff)


def test_a_cancellation_is_approved_on_its_own_list_not_the_first_registrations(clerk_client, world):
    application = _cancellation(world)
    page = clerk_client.get(reverse("authority:application", args=[application.pk])).content.decode()
    assert escape("交回《医师执业证书》原件") in page
    assert escape("近6个月2寸白底免冠正面半身照片3张") not in page  # photos are a first registration's

    url = reverse("authority:approve", args=[application.pk])
    # What a first registration and a cancellation share is not enough for a cancellation.
    shared = [code for code in checklist_codes(AppType.FIRST) if code in checklist_codes(AppType.CANCEL)]
    assert shared == ["review_form", "id_card", "local"]
    response = clerk_client.post(url, {"checklist": shared})
    assert response.status_code == 400
    [error] = response.context["approve_form"].errors["checklist"]
    assert "交回《医师执业证书》原件" in error and "注销事由的证明材料" in error
    application.refresh_from_db()
    assert application.state == State.INSTITUTION_APPROVED

    response = clerk_client.post(url, {"checklist": checklist_codes(AppType.CANCEL)})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == State.AUTHORITY_APPROVED
    assert application.checklist == checklist_codes(AppType.CANCEL)
    assert application.authority_opinion == "同意注销注册"


@pytest.mark.parametrize("missing", ["photos", "contract"])
def test_a_first_registration_needs_every_item_of_its_list(clerk_client, world, missing):
    application = world.institution_approved()
    ticked = [code for code in checklist_codes(application) if code != missing]
    response = clerk_client.post(reverse("authority:approve", args=[application.pk]), {"checklist": ticked})
    assert response.status_code == 400
    label = next(item.label for item in checklist_for(application) if item.code == missing)
    assert label in response.context["approve_form"].errors["checklist"][0]


def test_the_operators_edits_change_what_approval_needs(clerk_client, world):
    application = world.institution_approved()
    ChecklistItem.objects.filter(type=AppType.FIRST, code="local").update(is_active=False)
    ChecklistItem.objects.create(type=AppType.FIRST, code="health_form", label_zh="《医师注册健康体检表》", position=5)
    url = reverse("authority:approve", args=[application.pk])
    old_list = [code for code in SEED[AppType.FIRST] if code != "local"]
    response = clerk_client.post(url, {"checklist": old_list})
    assert response.status_code == 400
    assert "《医师注册健康体检表》" in response.context["approve_form"].errors["checklist"][0]
    assert clerk_client.post(url, {"checklist": [*old_list, "health_form"]}).status_code == 302
    application.refresh_from_db()
    assert application.state == State.AUTHORITY_APPROVED


def test_the_physician_sees_the_same_list_on_the_application_page(client, world):
    application = world.institution_approved()
    client.force_login(world.physician)
    page = client.get(reverse("physicians:application_detail", args=[application.pk])).content.decode()
    assert 'id="paper-checklist"' in page
    for item in checklist_for(application):
        assert escape(item.label) in page


@pytest.mark.parametrize("kind", [*AppType.values])
def test_every_types_own_last_item_is_needed_to_approve(clerk_client, world, kind):
    from tests.factories import application_for

    application = application_for(world.physician, world.institution, type=kind, qualification=world.qualification)
    Application.objects.filter(pk=application.pk).update(
        state=State.INSTITUTION_APPROVED, number=f"T-{kind}", institution_decided_at=timezone.now()
    )
    items = checklist_for(kind)
    page = clerk_client.get(reverse("authority:application", args=[application.pk])).content.decode()
    for item in items:
        assert f'value="{item.code}"' in page  # the type's own checkboxes
    response = clerk_client.post(
        reverse("authority:approve", args=[application.pk]), {"checklist": [i.code for i in items[:-1]]}
    )
    assert response.status_code == 400
    assert items[-1].label in response.context["approve_form"].errors["checklist"][0]
    application.refresh_from_db()
    assert application.state == State.INSTITUTION_APPROVED and application.checklist == []
