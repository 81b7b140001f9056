"""SMS codes and account services: hashing, expiry, tries, cool-down, hourly cap, one account per ID."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from docregistry.accounts import services
from docregistry.accounts.models import SmsCode
from docregistry.registrations.models import Notification
from docregistry.registrations.sealing import unseal
from tests import factories

pytestmark = pytest.mark.django_db
Purpose = SmsCode.Purpose
MOBILE = "13812345678"


def send(purpose=Purpose.ACTIVATE, mobile=MOBILE, user=None):
    return services.sms_code_send(mobile=mobile, purpose=purpose, user=user)


def code_of(mobile=MOBILE) -> str:
    """Read the code from the outbox row, as the SMS gateway would receive it (the row keeps it sealed)."""
    body = unseal(Notification.objects.filter(recipient=mobile).latest("pk").body)
    return next(word for word in body.replace("，", " ").split() if word.isdigit() and len(word) == 6)


def age(seconds: int):
    SmsCode.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=seconds))


def test_the_code_is_six_digits_queued_as_an_sms_and_stored_only_as_a_hash():
    sms_code = send()
    code = code_of()
    assert len(code) == 6 and code.isdigit()
    assert code not in sms_code.code_hash and len(sms_code.code_hash) == 64
    notification = Notification.objects.get()
    assert (notification.channel, notification.recipient) == ("sms", MOBILE)


def test_a_code_works_once():
    send()
    code = code_of()
    services.sms_code_verify(mobile=MOBILE, purpose=Purpose.ACTIVATE, code=code)
    with pytest.raises(ValidationError) as exc:
        services.sms_code_verify(mobile=MOBILE, purpose=Purpose.ACTIVATE, code=code)
    assert exc.value.messages == [str(services.MSG_CODE_EXPIRED)]


def test_a_code_is_only_good_for_its_purpose_and_number():
    send()
    code = code_of()
    with pytest.raises(ValidationError):
        services.sms_code_verify(mobile=MOBILE, purpose=Purpose.RESET_PASSWORD, code=code)
    with pytest.raises(ValidationError):
        services.sms_code_verify(mobile="13900000000", purpose=Purpose.ACTIVATE, code=code)
    services.sms_code_verify(mobile=MOBILE, purpose=Purpose.ACTIVATE, code=code)


def test_full_width_digits_and_spaces_are_accepted():
    send()
    code = code_of()
    typed = " ".join(chr(ord(ch) + 0xFEE0) for ch in code)  # １ ２ ３ ...
    services.sms_code_verify(mobile=MOBILE, purpose=Purpose.ACTIVATE, code=typed)


def test_wrong_tries_are_counted_even_though_the_check_fails():
    send()
    with pytest.raises(ValidationError) as exc:
        services.sms_code_verify(mobile=MOBILE, purpose=Purpose.ACTIVATE, code="abcdef")
    assert exc.value.messages == [str(services.MSG_CODE_FORMAT)]  # not a try: not even a code
    wrong = "000000" if code_of() != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError) as exc:
            services.sms_code_verify(mobile=MOBILE, purpose=Purpose.ACTIVATE, code=wrong)
        assert exc.value.messages == [str(services.MSG_CODE_WRONG % {"left": left})]
    with pytest.raises(ValidationError) as exc:
        services.sms_code_verify(mobile=MOBILE, purpose=Purpose.ACTIVATE, code=wrong)
    assert exc.value.messages == [str(services.MSG_CODE_BURNT)]
    assert SmsCode.objects.get().attempts == services.MAX_ATTEMPTS


def test_the_cool_down_is_per_number_and_purpose():
    send()
    with pytest.raises(ValidationError) as exc:
        send()
    assert exc.value.code == "cooldown"
    send(purpose=Purpose.RESET_PASSWORD)  # another purpose may be sent at once
    send(mobile="13900000000")  # and another number
    age(61)
    send()


def test_the_hourly_cap_counts_every_purpose_of_a_number():
    for purpose in (Purpose.ACTIVATE, Purpose.RESET_PASSWORD, Purpose.CHANGE_MOBILE):
        send(purpose=purpose)
    age(61)
    send(purpose=Purpose.ACTIVATE)
    send(purpose=Purpose.RESET_PASSWORD)
    age(120)
    with pytest.raises(ValidationError) as exc:
        send(purpose=Purpose.CHANGE_MOBILE)
    assert exc.value.code == "hourly_cap"
    assert services.sms_code_cooldown_left(mobile=MOBILE, purpose=Purpose.ACTIVATE) == 0


def test_one_account_per_id_number_whatever_the_case_of_x():
    existing = factories.PhysicianFactory(id_number="11010519491231002X")
    with pytest.raises(ValidationError) as exc:
        services.physician_signup(
            username="second",
            password="Another-pass-2026",
            real_name="张伟",
            id_number=existing.id_number.lower(),
            mobile="13700000000",
            email="second@example.com",
        )
    assert exc.value.message_dict["id_number"] == [str(services.MSG_ID_TAKEN)]
