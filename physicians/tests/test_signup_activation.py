"""Sign-up and SMS activation through HTTP, as a physician would do them."""

import datetime
import logging

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from docregistry.accounts import services as accounts
from docregistry.accounts.models import Role, SmsCode, User
from docregistry.registrations.demo import make_id_number
from docregistry.registrations.models import Notification
from docregistry.validators import MSG_ID_CHECKSUM, MSG_NAME_CHARS
from tests import factories

from .conftest import last_code

pytestmark = pytest.mark.django_db

ID_NUMBER = make_id_number("110105", datetime.date(1993, 5, 17), 123)
SIGNUP = {
    "real_name": "王 小明",
    "id_number": ID_NUMBER.lower(),
    "mobile": "138 0013 8000",
    "email": "wxm@example.com",
    "username": "wangxm",
    "password": "Qz-2026-longer",
    "password_again": "Qz-2026-longer",
}


def signup(client, django_capture_on_commit_callbacks, **changes):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("physicians:signup"), {**SIGNUP, **changes})


def page(response) -> str:
    return response.content.decode()


def test_signup_creates_an_inactive_account_and_sends_the_code_by_sms(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    response = signup(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("physicians:activate")
    user = User.objects.get(username="wangxm")
    assert (user.role, user.real_name, user.id_number, user.mobile) == (
        Role.PHYSICIAN,
        "王小明",
        ID_NUMBER.upper(),
        "13800138000",
    )
    assert user.mobile_verified_at is None
    assert len(sms_outbox) == 1 and sms_outbox[0].to == "13800138000"
    assert "激活" in sms_outbox[0].body
    # The outbox row was sent by the Celery task after commit.
    assert Notification.objects.get(recipient="13800138000").state == Notification.State.SENT
    # Only the hash is stored.
    code = last_code(sms_outbox, "13800138000")
    assert code not in SmsCode.objects.get().code_hash


def test_a_bad_field_keeps_every_other_value(client, django_capture_on_commit_callbacks):
    bad_id = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    response = signup(
        client, django_capture_on_commit_callbacks, id_number=bad_id, real_name="Wang", password_again="typo"
    )

    assert response.status_code == 200
    html = page(response)
    assert escape(str(MSG_ID_CHECKSUM)) in html
    assert escape(str(MSG_NAME_CHARS)) in html
    for value in ("Wang", bad_id, "138 0013 8000", "wxm@example.com", "wangxm"):
        assert f'value="{value}"' in html
    assert not User.objects.filter(username="wangxm").exists()


def test_a_second_account_for_the_same_id_number_is_refused_with_a_way_to_recover(
    client, world, django_capture_on_commit_callbacks
):
    response = signup(client, django_capture_on_commit_callbacks, id_number=world.physician.id_number)

    html = page(response)
    assert response.status_code == 200
    assert escape(str(accounts.MSG_ID_TAKEN)) in html
    assert reverse("physicians:reset_request") in html
    assert User.objects.filter(id_number=world.physician.id_number).count() == 1


def test_the_username_must_not_be_the_real_name(client, django_capture_on_commit_callbacks):
    response = signup(client, django_capture_on_commit_callbacks, username="王小明")
    assert escape(str(accounts.MSG_USERNAME_IS_NAME)) in page(response)


@pytest.mark.parametrize(
    "url_name", ["index", "qualification", "profile", "applications", "application_new", "password_change"]
)
def test_until_activated_every_physician_page_leads_to_activation(client, url_name):
    user = factories.PhysicianFactory(mobile_verified_at=None)
    client.force_login(user)
    response = client.get(reverse(f"physicians:{url_name}"))
    assert response.status_code == 302
    assert response["Location"] == reverse("physicians:activate")


def test_the_activation_code_activates_the_account(client, sms_outbox, django_capture_on_commit_callbacks):
    signup(client, django_capture_on_commit_callbacks)
    code = last_code(sms_outbox, "13800138000")

    response = client.post(reverse("physicians:activate"), {"code": code})

    assert response["Location"] == reverse("physicians:qualification")
    assert User.objects.get(username="wangxm").mobile_verified_at is not None
    assert client.get(reverse("physicians:index")).status_code == 200


def test_a_wrong_code_says_how_many_tries_are_left_and_five_burn_the_code(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    code = last_code(sms_outbox, "13800138000")
    wrong = "000000" if code != "000000" else "111111"

    response = client.post(reverse("physicians:activate"), {"code": wrong})
    assert escape(str(accounts.MSG_CODE_WRONG % {"left": 4})) in page(response)
    for _ in range(4):
        response = client.post(reverse("physicians:activate"), {"code": wrong})
    # the fifth wrong code burns it, and counts as the fifth failure: the account is locked for a while
    assert response.status_code == 429
    AccessAttempt.objects.all().delete()  # an admin unlocks it (docregistry/accounts/tests/test_throttle.py)

    response = client.post(reverse("physicians:activate"), {"code": code})
    assert escape(str(accounts.MSG_CODE_BURNT)) in page(response)
    assert User.objects.get(username="wangxm").mobile_verified_at is None
    assert SmsCode.objects.get().attempts == 5


def test_an_expired_code_is_refused(client, sms_outbox, django_capture_on_commit_callbacks):
    signup(client, django_capture_on_commit_callbacks)
    code = last_code(sms_outbox, "13800138000")
    SmsCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    response = client.post(reverse("physicians:activate"), {"code": code})

    assert escape(str(accounts.MSG_CODE_EXPIRED)) in page(response)
    assert User.objects.get(username="wangxm").mobile_verified_at is None


def test_a_code_is_valid_for_ten_minutes():
    user = factories.PhysicianFactory(mobile_verified_at=None)
    sms_code = accounts.activation_code_send(user=user)
    assert sms_code.expires_at - sms_code.created_at == pytest.approx(
        datetime.timedelta(minutes=10), abs=datetime.timedelta(seconds=1)
    )


def test_resending_waits_sixty_seconds_and_only_the_newest_code_works(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    first = last_code(sms_outbox, "13800138000")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("physicians:activate"), {"resend": "1"}, follow=True)
    assert "60" in page(response) or "59" in page(response)
    assert len(sms_outbox) == 1

    SmsCode.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=61))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("physicians:activate"), {"resend": "1"})
    assert len(sms_outbox) == 2
    second = last_code(sms_outbox, "13800138000")

    if first != second:
        response = client.post(reverse("physicians:activate"), {"code": first})
        assert escape(str(accounts.MSG_CODE_WRONG % {"left": 4})) in page(response)
    client.post(reverse("physicians:activate"), {"code": second})
    assert User.objects.get(username="wangxm").mobile_verified_at is not None


def test_a_number_gets_at_most_five_codes_an_hour():
    user = factories.PhysicianFactory(mobile_verified_at=None)
    for _ in range(accounts.HOURLY_CAP):
        accounts.activation_code_send(user=user)
        SmsCode.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=61))
    with pytest.raises(accounts.ValidationError) as exc:
        accounts.activation_code_send(user=user)
    assert exc.value.messages == [str(accounts.MSG_CODE_HOURLY_CAP)]
    SmsCode.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1, seconds=1))
    accounts.activation_code_send(user=user)


def test_the_login_page_offers_sign_up_and_recovery(client):
    html = page(client.get(reverse("physicians:login")))
    for name in ("signup", "reset_request", "email_reset"):
        assert reverse(f"physicians:{name}") in html


def test_signup_is_logged_without_the_full_id_number(client, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.INFO, logger="docregistry.audit"):
        signup(client, django_capture_on_commit_callbacks)
    assert "physician signup" in caplog.text
    assert ID_NUMBER.upper() not in caplog.text


def test_the_pages_are_in_chinese_by_default_and_english_on_request(client):
    assert "医师注册" in page(client.get(reverse("physicians:signup")))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = page(client.get(reverse("physicians:signup")))
    assert "Physician sign-up" in html and "医师注册" not in html


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("mobile", "12345678901", "mobile"),
        ("email", "not-an-email", "email"),
        ("password", "12345678", "password"),
        ("password_again", "Something-else-2026", "password_again"),
        ("id_number", "11010519930517", "id_number"),
        ("real_name", "王2明", "real_name"),
    ],
)
def test_each_bad_field_is_refused_next_to_itself(client, django_capture_on_commit_callbacks, field, value, expected):
    changes = {field: value, "password_again": value} if field == "password" else {field: value}
    response = signup(client, django_capture_on_commit_callbacks, **changes)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [expected]
    assert not User.objects.filter(username="wangxm").exists()


def test_a_taken_username_is_refused(client, django_capture_on_commit_callbacks):
    factories.PhysicianFactory(username="wangxm")
    response = signup(client, django_capture_on_commit_callbacks)
    assert escape(str(accounts.MSG_USERNAME_TAKEN)) in page(response)


LONG_MINORITY_NAME = "阿卜杜热合曼·买买提依明·阿不都克力木·艾合买提江·热西提·吐尔逊托合提·巴拉提"  # 41 characters


@pytest.mark.parametrize("name", ["刘䶮", "𠮷野家", "欧阳" + "𬺰" * 23, LONG_MINORITY_NAME])
def test_rare_and_long_names_sign_up_as_typed(client, django_capture_on_commit_callbacks, name):
    response = signup(client, django_capture_on_commit_callbacks, real_name=name)
    assert response.status_code == 302, page(response)
    assert User.objects.get(username="wangxm").real_name == name


def test_a_name_over_25_hanzi_is_refused_next_to_the_field(client, django_capture_on_commit_callbacks):
    from docregistry.validators import MSG_NAME_LENGTH

    response = signup(client, django_capture_on_commit_callbacks, real_name="张" * 26)
    assert response.status_code == 200
    assert escape(str(MSG_NAME_LENGTH)) in page(response)
    assert 'value="' + "张" * 26 + '"' in page(response)
