"""Login throttling (django-axes): every portal's login and the admin's, the SMS-code and recovery forms."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from docregistry.accounts.models import SmsCode
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGINS = {
    "physician": "physicians:login",
    "staff": "institutions:login",
    "clerk": "authority:login",
    "admin": "admin:login",
}
LOCKED_ZH = "登录失败次数过多"


@pytest.fixture
def accounts(world):
    admin = factories.UserFactory(role="admin", is_staff=True, is_superuser=True, username="root")
    return {"physician": world.physician, "staff": world.staff, "clerk": world.clerk, "admin": admin}


def sign_in(client, who, username, password, **extra):
    return client.post(reverse(LOGINS[who]), {"username": username, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("who", list(LOGINS))
def test_five_wrong_passwords_lock_the_username_even_against_the_right_one(client, accounts, who):
    user = accounts[who]
    for _ in range(4):
        assert sign_in(client, who, user.username, "wrong-password").status_code == 200
    response = sign_in(client, who, user.username, "wrong-password")
    assert response.status_code == 429
    response = sign_in(client, who, user.username, PASSWORD)
    assert response.status_code == 429
    assert LOCKED_ZH in response.content.decode()
    assert not signed_in(client)
    # another client address is refused too: the username is locked, not the address
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert sign_in(other, who, user.username, PASSWORD).status_code == 429


def test_four_failures_then_the_right_password_still_signs_in(client, accounts):
    for _ in range(4):
        sign_in(client, "physician", accounts["physician"].username, "nope")
    assert sign_in(client, "physician", accounts["physician"].username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_lock_ends_after_the_cool_off(client, accounts, settings):
    user = accounts["staff"]
    for _ in range(5):
        sign_in(client, "staff", user.username, "wrong")
    assert sign_in(client, "staff", user.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(1))
    assert sign_in(client, "staff", user.username, PASSWORD).status_code == 302


def test_one_address_trying_many_usernames_is_locked_at_fifty(accounts, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        assert sign_in(attacker, "physician", f"guess{n}", "wrong").status_code == 200
    assert sign_in(attacker, "physician", "guess-last", "wrong").status_code == 429
    # even a real account with its right password, from that address
    assert sign_in(attacker, "physician", accounts["physician"].username, PASSWORD).status_code == 429
    # the account itself is not locked: from elsewhere it signs in
    assert (
        sign_in(Client(REMOTE_ADDR="198.51.100.1"), "physician", accounts["physician"].username, PASSWORD).status_code
        == 302
    )


def test_the_lockout_message_is_in_english_when_chosen(client, accounts):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    for _ in range(5):
        response = sign_in(client, "clerk", accounts["clerk"].username, "wrong")
    html = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed attempts" in html and LOCKED_ZH not in html
    assert "15 minutes" in html


def test_an_admin_unlocks_the_account(client, accounts):
    user = accounts["staff"]
    for _ in range(5):
        sign_in(client, "staff", user.username, "wrong")
    assert AccessAttempt.objects.filter(username=user.username).exists()
    admin = Client()
    admin.force_login(accounts["admin"])
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert user.username in admin.get(changelist).content.decode()
    ids = list(AccessAttempt.objects.filter(username=user.username).values_list("pk", flat=True))
    response = admin.post(changelist, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert response.status_code == 302
    assert sign_in(client, "staff", user.username, PASSWORD).status_code == 302


# ---- SMS codes and recovery -------------------------------------------------------------------


def test_wrong_activation_codes_lock_like_wrong_passwords(client, sms_outbox):
    user = factories.PhysicianFactory(mobile_verified_at=None)
    client.force_login(user)
    client.post(reverse("physicians:activate"), {"resend": "1"})
    statuses = [client.post(reverse("physicians:activate"), {"code": "000000"}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    # the account's login is locked too
    assert sign_in(Client(), "physician", user.username, PASSWORD).status_code == 429


def test_the_recovery_form_is_throttled_per_id_number_whether_the_pair_matches_or_not(client, world):
    id_number = world.physician.id_number
    for n in range(4):
        response = client.post(
            reverse("physicians:reset_request"), {"id_number": id_number, "mobile": f"1390000{n:04d}"}
        )
        assert response.status_code < 400
    # the fifth request is refused, and so is then the matching pair, until the cool-off ends
    response = client.post(
        reverse("physicians:reset_request"), {"id_number": id_number, "mobile": world.physician.mobile}
    )
    assert response.status_code == 429
    assert not SmsCode.objects.filter(purpose=SmsCode.Purpose.RESET_PASSWORD).exists()
    response = client.post(
        reverse("physicians:reset_request"), {"id_number": id_number, "mobile": world.physician.mobile}
    )
    assert response.status_code == 429


def test_wrong_recovery_codes_are_throttled(client, world, sms_outbox):
    client.post(
        reverse("physicians:reset_request"), {"id_number": world.physician.id_number, "mobile": world.physician.mobile}
    )
    data = {"code": "000000", "new_password1": "Brand-new-2026!", "new_password2": "Brand-new-2026!"}
    # the request counted once for this ID number; three wrong codes more, and the fourth locks
    statuses = [client.post(reverse("physicians:reset_confirm"), data).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    world.physician.refresh_from_db()
    assert world.physician.check_password(PASSWORD)
