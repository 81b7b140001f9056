"""The authority's register pages through HTTP."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from docregistry.registrations.models import Registration
from tests.factories import AuthorityFactory, ClerkFactory


@pytest.fixture
def registration(world):
    return Registration.objects.get(certificate_code=world.approved().practice_certificate_code)


def test_the_clerk_finds_a_registration_and_suspends_it(client, world, registration):
    client.force_login(world.clerk)
    page = client.get(reverse("authority:register"), {"q": world.physician.real_name})
    assert registration.certificate_code in page.content.decode()
    detail = client.get(reverse("authority:registration", args=[registration.pk]))
    body = detail.content.decode()
    assert "医师定期考核不合格，责令暂停执业活动" in body and "死亡或者被宣告失踪" in body
    until = timezone.localdate() + datetime.timedelta(days=60)
    response = client.post(
        reverse("authority:registration_action", args=[registration.pk, "suspend"]),
        {"suspend-ground": "penalty", "suspend-until": until.isoformat(), "suspend-comment": "违规"},
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.state == "suspended" and registration.suspended_until == until
    page = client.get(reverse("authority:registration", args=[registration.pk])).content.decode()
    assert "违规" in page and "暂停" in page


def test_a_cancellation_without_a_ground_says_so_next_to_the_field(client, world, registration):
    client.force_login(world.clerk)
    response = client.post(
        reverse("authority:registration_action", args=[registration.pk, "cancel"]),
        {"cancel-ground": "", "cancel-comment": "keep me"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "keep me" in body and "id_cancel-ground" in body and "invalid-feedback" in body
    registration.refresh_from_db()
    assert registration.state == "active"


def test_the_physician_sees_the_cancellation_its_ground_and_their_rights(client, world, registration):
    client.force_login(world.clerk)
    client.post(reverse("authority:registration_action", args=[registration.pk, "cancel"]), {"cancel-ground": "health"})
    client.force_login(world.physician)
    body = client.get(reverse("physicians:index")).content.decode()
    assert registration.certificate_code in body
    assert "身体健康状况不适宜继续执业" in body and "行政复议" in body


def test_another_jurisdiction_gets_404(client, registration):
    client.force_login(ClerkFactory(authority=AuthorityFactory(region_id="510104")))
    assert client.get(reverse("authority:registration", args=[registration.pk])).status_code == 404
    response = client.post(
        reverse("authority:registration_action", args=[registration.pk, "cancel"]), {"cancel-ground": "death"}
    )
    assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.state == "active"


def test_an_action_the_state_does_not_offer_is_404(client, world, registration):
    client.force_login(world.clerk)
    response = client.post(reverse("authority:registration_action", args=[registration.pk, "reinstate"]), {})
    assert response.status_code == 404
