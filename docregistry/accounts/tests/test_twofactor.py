"""Two-factor sign-in for staff, through the real login forms: enrolment with a QR code, a TOTP code at
every sign-in, recovery codes, lockout after wrong codes, an admin reset; physicians keep password + SMS."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PORTALS = {"staff": ("institutions:login", "/institution/"), "clerk": ("authority:login", "/authority/")}


def sign_in(client, login_url, user):
    response = client.post(reverse(login_url), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def code_for(device, drift=0) -> str:
    return f"{totp(device.bin_key, drift=drift):06d}"


@pytest.fixture
def no_device_backoff(settings):
    """django-otp makes a device wait 1 s, 2 s, … after a wrong code; these tests try the right one at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.mark.parametrize("who", list(PORTALS))
def test_staff_enrol_at_the_first_sign_in_then_reach_the_portal(world, who, no_device_backoff):
    user = getattr(world, who)
    login_url, home = PORTALS[who]
    client = Client()
    sign_in(client, login_url, user)
    response = client.get(home)
    assert response.status_code == 302 and response["Location"].startswith(reverse("twofactor:setup"))
    page = client.get(response["Location"])
    html = page.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml[^"]+"', html)  # allowed by img-src data:, no inline script
    key = re.search(r'id="otp-key">([A-Z2-7]+)<', html).group(1)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    import base64

    assert base64.b32decode(key) == device.bin_key

    response = client.post(reverse("twofactor:setup"), {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert "is-invalid" in response.content.decode()
    response = client.post(reverse("twofactor:setup"), {"code": code_for(device), "next": home})
    html = response.content.decode()
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", html)
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(home).status_code == 200


def test_every_later_sign_in_asks_for_a_code(world, no_device_backoff):
    user = world.clerk
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "authority:login", user)
    response = client.get("/authority/")
    assert response["Location"].startswith(reverse("twofactor:verify"))
    assert client.get("/authority/reports/")["Location"].startswith(reverse("twofactor:verify"))
    response = client.post(reverse("twofactor:verify"), {"code": "12345", "next": "/authority/"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    response = client.post(reverse("twofactor:verify"), {"code": code_for(device), "next": "/authority/reports/"})
    assert response.status_code == 302 and response["Location"] == "/authority/reports/"
    assert client.get("/authority/").status_code == 200
    # a code is good once: a new session with the same code is refused
    other = Client()
    sign_in(other, "authority:login", user)
    assert other.post(reverse("twofactor:verify"), {"code": code_for(device)}).status_code == 200
    assert other.get("/authority/").status_code == 302


def test_a_recovery_code_works_once(world):
    user = world.staff
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="recovery")
    recovery.token_set.create(token="abcd2345")
    for expected in (302, 200):
        client = Client()
        sign_in(client, "institutions:login", user)
        assert client.post(reverse("twofactor:verify"), {"code": "abcd2345"}).status_code == expected


def test_the_admin_needs_the_second_factor_too(world):
    admin = factories.UserFactory(role="admin", is_staff=True, is_superuser=True, username="root2")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "root2", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("twofactor:verify"))
    assert client.get("/admin/accounts/user/")["Location"].startswith(reverse("twofactor:verify"))
    client.post(reverse("twofactor:verify"), {"code": code_for(device)})
    assert client.get("/admin/accounts/user/").status_code == 200


def test_physicians_keep_password_and_sms(world):
    client = Client()
    sign_in(client, "physicians:login", world.physician)
    assert client.get("/physician/").status_code == 200


def test_five_wrong_codes_lock_the_account(world):
    user = world.staff
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "institutions:login", user)
    statuses = [client.post(reverse("twofactor:verify"), {"code": "000001"}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert (
        Client().post(reverse("institutions:login"), {"username": user.username, "password": PASSWORD}).status_code
        == 429
    )


def test_an_unverified_staff_session_can_still_sign_out(world):
    client = Client()
    sign_in(client, "institutions:login", world.staff)
    response = client.post(reverse("institutions:logout"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_an_admin_resets_a_lost_authenticator(world):
    user = world.staff
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    admin = Client()
    admin.force_login(factories.UserFactory(role="admin", is_staff=True, is_superuser=True, username="root3"))
    changelist = reverse("admin:otp_totp_totpdevice_changelist")
    assert str(user) in admin.get(changelist).content.decode()  # the device list names its owner
    response = admin.post(changelist, {"action": "delete_selected", "_selected_action": [device.pk], "post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.filter(pk=device.pk).exists()
    client = Client()
    sign_in(client, "institutions:login", user)
    assert client.get("/institution/")["Location"].startswith(reverse("twofactor:setup"))


def test_force_login_in_tests_counts_as_verified(client, world):
    client.force_login(world.staff)
    assert client.get("/institution/").status_code == 200


def test_the_admin_never_sees_a_device_key_or_recovery_codes(world):
    device = TOTPDevice.objects.create(user=world.staff, name="phone", confirmed=True)
    recovery = StaticDevice.objects.create(user=world.staff, name="recovery")
    recovery.token_set.create(token="zzzz2345")
    admin = Client()
    admin.force_login(factories.UserFactory(role="admin", is_staff=True, is_superuser=True, username="root4"))
    key = device.key
    for name in ("otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"):
        assert admin.get(reverse(f"admin:{name}", args=[device.pk])).status_code == 403
        assert admin.get(reverse(f"admin:{name}", args=[device.pk + 1000])).status_code == 403  # no 500 either
    assert key not in admin.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    html = admin.get(reverse("admin:otp_static_staticdevice_change", args=[recovery.pk])).content.decode()
    assert "zzzz2345" not in html
