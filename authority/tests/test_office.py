"""The clerk keeps the office details physicians are shown once an institution confirms."""

import pytest
from django.urls import reverse

from docregistry.registrations import services
from tests import factories

pytestmark = pytest.mark.django_db

DATA = {
    "office_address": "北京市朝阳区日坛北路33号 2层12号窗口",
    "opening_hours": "周一至周五 9:00–17:00",
    "phone": "010-6509 3000",
}


def test_the_clerk_saves_the_office_and_the_physician_sees_it(client, world):
    client.force_login(world.clerk)
    assert client.get(reverse("authority:office")).status_code == 200
    response = client.post(reverse("authority:office"), DATA, follow=True)
    assert "已保存" in response.content.decode()
    world.authority.refresh_from_db()
    assert world.authority.phone == "010-6509 3000"
    application = world.institution_approved()
    client.force_login(world.physician)
    page = client.get(reverse("physicians:application_detail", args=[application.pk])).content.decode()
    assert DATA["office_address"] in page and DATA["opening_hours"] in page


def test_a_bad_phone_is_refused_next_to_the_field_and_nothing_typed_is_lost(client, world):
    client.force_login(world.clerk)
    response = client.post(reverse("authority:office"), {**DATA, "phone": "call me"})
    assert response.status_code == 400
    page = response.content.decode()
    assert str(services.MSG_PHONE) in page
    assert DATA["office_address"] in page
    world.authority.refresh_from_db()
    assert world.authority.office_address == ""


def test_a_clerk_edits_only_their_own_authority(client, world):
    other = factories.ClerkFactory()
    client.force_login(other)
    client.post(reverse("authority:office"), DATA)
    world.authority.refresh_from_db()
    other.authority.refresh_from_db()
    assert world.authority.office_address == "" and other.authority.office_address == DATA["office_address"]


def test_only_clerks_may_edit(world):
    with pytest.raises(services.NotAllowed):
        services.authority_office_update(actor=world.staff, **DATA)
