"""Each role has its own portal; nobody is shown another portal's pages."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

PORTALS = {"physician": "/physician/", "institution": "/institution/", "authority": "/authority/"}


@pytest.fixture
def users(world):
    return {"physician": world.physician, "institution": world.staff, "authority": world.clerk}


def test_home_page_explains_the_system_and_links_every_portal(client):
    response = client.get("/")
    assert response.status_code == 200
    for url in [*PORTALS.values(), "/admin/"]:
        assert f'href="{url}"' in response.content.decode()


@pytest.mark.parametrize("portal", PORTALS)
def test_anonymous_visitors_are_sent_to_the_portals_own_login(client, db, portal):
    response = client.get(PORTALS[portal])
    assert response.status_code == 302
    assert response.url.startswith(PORTALS[portal] + "login/")


@pytest.mark.parametrize("role", PORTALS)
@pytest.mark.parametrize("other", PORTALS)
def test_a_user_opening_another_portal_is_sent_to_their_own(client, users, role, other):
    client.force_login(users[role])
    response = client.get(PORTALS[other])
    if role == other:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.url == PORTALS[role]


@pytest.mark.parametrize("role", PORTALS)
def test_login_on_the_right_portal_lands_on_its_home(client, users, role):
    response = client.post(PORTALS[role] + "login/", {"username": users[role].username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == PORTALS[role]


def test_login_on_the_wrong_portal_is_refused_with_a_message(client, users):
    response = client.post("/institution/login/", {"username": users["physician"].username, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "另一个门户" in response.content.decode() or "another portal" in response.content.decode()


def test_a_wrong_password_keeps_the_username_and_says_so(client, users):
    response = client.post("/authority/login/", {"username": users["authority"].username, "password": "wrong"})
    assert response.status_code == 200
    assert users["authority"].username in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(client, users):
    client.force_login(users["authority"])
    response = client.post("/authority/logout/")
    assert response.status_code == 302
    assert client.get("/authority/").status_code == 302


def test_password_change_takes_effect(client, users):
    clerk = users["authority"]
    client.force_login(clerk)
    response = client.post(
        reverse("authority:password_change"),
        {"old_password": PASSWORD, "new_password1": "Nuevo-clave-2026", "new_password2": "Nuevo-clave-2026"},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password("Nuevo-clave-2026")


def test_a_one_time_password_must_be_changed_before_anything_else(client, users):
    staff = users["institution"]
    staff.must_change_password = True
    staff.save(update_fields=["must_change_password"])
    client.force_login(staff)
    assert client.get("/institution/").url == reverse("institutions:password_change")
    client.post(
        reverse("institutions:password_change"),
        {"old_password": PASSWORD, "new_password1": "Hospital-pass-77", "new_password2": "Hospital-pass-77"},
    )
    staff.refresh_from_db()
    assert staff.must_change_password is False
    assert client.get("/institution/").status_code == 200


def test_administrators_are_sent_to_the_admin(client, db):
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get("/authority/")
    assert response.status_code == 302
    assert response.url == "/admin/"
