"""SMS abuse limits (per number, client address, account, site), atomic under concurrency; recovery that
answers the same for a matching and a wrong pair; SMS codes and one-time passwords sealed in the outbox."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from docregistry.accounts import services as accounts
from docregistry.accounts.models import SmsCode
from docregistry.registrations import sealing
from docregistry.registrations.models import Notification
from docregistry.registrations.tasks import send_notification
from tests.concurrency import needs_postgres, race

pytestmark = pytest.mark.django_db

ACTIVATE = SmsCode.Purpose.ACTIVATE


def send(mobile, *, ip="203.0.113.9", user=None, purpose=ACTIVATE):
    return accounts.sms_code_send(mobile=mobile, purpose=purpose, user=user, ip=ip)


def refused(call) -> str:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.code


def test_one_client_address_gets_ten_codes_an_hour_whatever_the_numbers(sms_outbox, settings):
    assert settings.SMS_LIMITS["address_per_hour"] == 10
    for n in range(10):
        send(f"1380000{n:04d}")
    assert refused(lambda: send("13800009998")) == "address_cap"
    assert refused(lambda: send("13800009999")) == "address_cap"
    assert SmsCode.objects.count() == 10
    send("13800009999", ip="198.51.100.20")  # another address is not affected


def test_one_account_gets_ten_codes_a_day_for_new_mobiles(client, world, sms_outbox, settings):
    settings.SMS_LIMITS = {**settings.SMS_LIMITS, "address_per_hour": 1000}
    client.force_login(world.physician)
    sent = 0
    for n in range(12):
        response = client.post(reverse("physicians:profile"), {"mobile": f"1370000{n:04d}"})
        sent += response.status_code == 302
    assert sent == 10
    assert SmsCode.objects.filter(purpose=SmsCode.Purpose.CHANGE_MOBILE).count() == 10
    html = client.post(reverse("physicians:profile"), {"mobile": "13700009999"}).content.decode()
    assert "今天" in html or "too many codes today" in html


def test_the_site_stops_at_its_daily_total(settings):
    settings.SMS_LIMITS = {**settings.SMS_LIMITS, "site_per_day": 3}
    for n in range(3):
        send(f"1350000{n:04d}", ip=f"10.0.0.{n}")
    assert refused(lambda: send("13500009999", ip="10.0.1.1")) == "site_cap"


def test_a_refused_send_is_not_counted(settings):
    settings.SMS_LIMITS = {**settings.SMS_LIMITS, "address_per_hour": 2}
    send("13600000001")
    assert refused(lambda: send("13600000001")) == "cooldown"  # rolled back: the address budget is untouched
    send("13600000002")
    assert refused(lambda: send("13600000003")) == "address_cap"


def test_a_signup_over_the_address_limit_keeps_what_was_typed(client, settings):
    from docregistry.registrations.demo import make_id_number

    settings.SMS_LIMITS = {**settings.SMS_LIMITS, "address_per_hour": 0}
    import datetime

    data = {
        "real_name": "王小明",
        "id_number": make_id_number("110105", datetime.date(1993, 5, 17), 7),
        "mobile": "13800138000",
        "email": "w@example.com",
        "username": "wangxm9",
        "password": "Qz-2026-longer",
        "password_again": "Qz-2026-longer",
    }
    response = client.post(reverse("physicians:signup"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "网络" in html and 'value="wangxm9"' in html
    from docregistry.accounts.models import User

    assert not User.objects.filter(username="wangxm9").exists()


def postgres_only(test):
    for mark in needs_postgres:
        test = mark(test)
    return test


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_requests_for_a_new_number_send_one_sms(sms_outbox):
    outcomes = race([lambda n=n: send("13912345678", ip=f"10.1.0.{n}") for n in range(20)])
    sent = [o for o in outcomes if isinstance(o, SmsCode)]
    assert len(sent) == 1, outcomes
    assert all(isinstance(o, ValidationError) and o.code == "cooldown" for o in outcomes if o not in sent)
    assert SmsCode.objects.filter(mobile="13912345678").count() == 1
    assert Notification.objects.filter(recipient="13912345678").count() == 1


# ---- Recovery gives nothing away ------------------------------------------------------------


def test_recovery_answers_the_same_for_a_matching_and_a_wrong_pair(world, sms_outbox):
    def ask(mobile):
        client = Client()
        response = client.post(
            reverse("physicians:reset_request"), {"id_number": world.physician.id_number, "mobile": mobile}, follow=True
        )
        return client, response

    right_client, right = ask(world.physician.mobile)
    wrong_client, wrong = ask("13700000000")
    assert right.redirect_chain == wrong.redirect_chain == [(reverse("physicians:reset_confirm"), 302)]

    def text(response, mobile):
        masked = mobile[:3] + "****" + mobile[-4:]
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return html.replace(masked, "MASKED")

    assert text(right, world.physician.mobile) == text(wrong, "13700000000")
    assert SmsCode.objects.filter(purpose=SmsCode.Purpose.RESET_PASSWORD).count() == 1  # only the real one

    data = {"code": "123456", "new_password1": "Brand-new-2026!", "new_password2": "Brand-new-2026!"}
    code = SmsCode.objects.get(purpose=SmsCode.Purpose.RESET_PASSWORD)
    assert not code.code_hash.endswith("123456")
    right_page = right_client.post(reverse("physicians:reset_confirm"), data)
    wrong_page = wrong_client.post(reverse("physicians:reset_confirm"), data)
    assert right_page.status_code == wrong_page.status_code == 200
    assert str(accounts.MSG_RESET_CODE) in right_page.content.decode()
    assert text(right_page, world.physician.mobile) == text(wrong_page, "13700000000")


# ---- Secrets never in clear in the outbox ------------------------------------------------------


def test_the_institution_one_time_password_is_sealed_in_the_outbox(
    client, world, sms_outbox, django_capture_on_commit_callbacks
):
    from docregistry.registrations.models import Region
    from docregistry.registrations.services import institutions

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        institutions.institution_create_with_account(
            actor=world.clerk,
            name="北京市朝阳区测试医院",
            registration_number="PDY77777-911010516",
            address="北京市朝阳区测试路3号",
            postcode="100020",
            region=Region.objects.get(code="110105"),
            responsible_person="赵强",
            mobile="13811112222",
            license_checked=True,
            authorisation_checked=True,
            entrusted_id_checked=True,
        )
    pending = Notification.objects.get(recipient="13811112222")
    assert pending.state == Notification.State.PENDING and sealing.is_sealed(pending.body)
    for callback in callbacks:
        callback()
    [sms] = [m for m in sms_outbox if m.to == "13811112222"]
    password = re.search(r"(?:password|密码)\s*([A-Za-z0-9]{10})", sms.body).group(1)
    assert password not in pending.body  # while it waited to be sent
    pending.refresh_from_db()
    assert pending.state == Notification.State.SENT and pending.body == sealing.SENT_SEALED
    # the admin's outbox page says it was sent, never what it said
    from tests import factories

    client.force_login(factories.UserFactory(role="admin", is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:registrations_notification_changelist")).content.decode()
    assert password not in html and "13811112222" in html
    html = client.get(reverse("admin:registrations_notification_change", args=[pending.pk])).content.decode()
    assert password not in html


def test_an_sms_code_is_sealed_and_the_admin_shows_it_masked(client, sms_outbox, django_capture_on_commit_callbacks):
    from tests import factories

    with django_capture_on_commit_callbacks(execute=False):
        send("13822223333")
    row = Notification.objects.get(recipient="13822223333")
    assert sealing.is_sealed(row.body)
    admin = factories.UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    html = client.get(reverse("admin:registrations_notification_changelist")).content.decode()
    assert "13822223333" in html and sealing.SEALED_PREFIX not in html
    assert send_notification.delay(row.pk).result == "sent"
    code = re.search(r"\d{6}", sms_outbox[-1].body).group()
    row.refresh_from_db()
    assert code not in row.body and row.body == sealing.SENT_SEALED


def test_a_sealed_text_past_its_lifetime_cannot_be_opened(settings):
    import time

    token = sealing._fernet().encrypt_at_time(b"code 123456", int(time.time()) - settings.OUTBOX_SEAL_TTL - 10)
    with pytest.raises(sealing.SealExpired):
        sealing.unseal(sealing.SEALED_PREFIX + token.decode())
    assert sealing.unseal(sealing.seal("code 123456")) == "code 123456"
