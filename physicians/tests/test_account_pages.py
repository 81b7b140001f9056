"""Qualification page, identity correction, password recovery and profile edits, through HTTP."""

import logging
import re

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse
from django.utils.html import escape

from docregistry.accounts import services as accounts
from docregistry.accounts.models import SmsCode, User
from docregistry.registrations.models import Notification
from docregistry.validators import MSG_ID_CHECKSUM
from tests import factories

from .conftest import last_code

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Brand-new-2026-pw"


def page(response) -> str:
    return response.content.decode()


# ---- Qualification page ------------------------------------------------------------------


def test_the_matched_qualification_records_are_shown(phys_client, world):
    html = page(phys_client.get(reverse("physicians:qualification")))
    q = world.qualification
    assert q.certificate_code in html
    assert q.obtained_on.strftime("%Y-%m-%d") in html
    assert 'id="no-match"' not in html


def make_typo_physician(world):
    qualification = factories.QualificationFactory(name="陈晓明")
    user = factories.PhysicianFactory(real_name="陈小明", id_number=qualification.id_number)
    return user, qualification


def test_without_a_match_the_page_explains_and_offers_correction_and_the_guide(client, world):
    user, _ = make_typo_physician(world)
    client.force_login(user)
    html = page(client.get(reverse("physicians:qualification")))
    assert 'id="no-match"' in html
    assert reverse("qualifications:guide") in html
    assert 'value="陈小明"' in html


def test_correcting_the_name_re_matches_and_is_audited(client, world, caplog):
    user, qualification = make_typo_physician(world)
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="docregistry.audit"):
        response = client.post(
            reverse("physicians:qualification"), {"real_name": "陈晓明", "id_number": user.id_number}, follow=True
        )
    assert qualification.certificate_code in page(response)
    user.refresh_from_db()
    assert user.real_name == "陈晓明"
    assert "identity corrected" in caplog.text and "陈小明 -> 陈晓明" in caplog.text


def test_a_rare_long_name_can_be_corrected_to_and_is_stored_whole(client, world):
    user, _qualification = make_typo_physician(world)
    client.force_login(user)
    name = "艾合买提江·𠮷𪜀𫠝𬺰·阿不都克力木·热西提"
    client.post(reverse("physicians:qualification"), {"real_name": name, "id_number": user.id_number})
    user.refresh_from_db()
    assert user.real_name == name


def test_a_corrected_id_number_is_validated_again(client, world):
    user, _ = make_typo_physician(world)
    client.force_login(user)
    bad = user.id_number[:17] + ("1" if user.id_number[17] != "1" else "2")
    response = client.post(reverse("physicians:qualification"), {"real_name": "陈晓明", "id_number": bad})
    assert escape(str(MSG_ID_CHECKSUM)) in page(response)
    assert 'value="陈晓明"' in page(response)
    user.refresh_from_db()
    assert user.real_name == "陈小明"


def test_the_id_number_of_another_account_cannot_be_taken(client, world):
    user, _ = make_typo_physician(world)
    client.force_login(user)
    response = client.post(
        reverse("physicians:qualification"), {"real_name": "张伟", "id_number": world.physician.id_number}
    )
    assert escape(str(accounts.MSG_ID_TAKEN)) in page(response)


def test_a_matched_identity_can_no_longer_be_changed(phys_client, world):
    response = phys_client.post(
        reverse("physicians:qualification"), {"real_name": "张三", "id_number": world.physician.id_number}
    )
    assert response.status_code == 200
    world.physician.refresh_from_db()
    assert world.physician.real_name == "张伟"
    with pytest.raises(accounts.ValidationError) as exc:
        accounts.physician_identity_correct(user=world.physician, real_name="张三", id_number=world.physician.id_number)
    assert exc.value.messages == [str(accounts.MSG_IDENTITY_MATCHED)]


# ---- Password recovery ---------------------------------------------------------------------


def test_password_recovery_by_sms(client, world, sms_outbox, django_capture_on_commit_callbacks):
    physician = world.physician
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("physicians:reset_request"), {"id_number": physician.id_number.lower(), "mobile": physician.mobile}
        )
    assert response["Location"] == reverse("physicians:reset_confirm")
    code = last_code(sms_outbox, physician.mobile)

    response = client.post(
        reverse("physicians:reset_confirm"),
        {
            "code": "000000" if code != "000000" else "111111",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert escape(str(accounts.MSG_RESET_CODE)) in page(response)  # the same words as for a wrong pair

    response = client.post(
        reverse("physicians:reset_confirm"),
        {"code": code, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("physicians:login")
    assert authenticate(username=physician.username, password=NEW_PASSWORD) == physician


def test_sms_recovery_needs_the_registered_mobile_but_does_not_say_so(client, world, sms_outbox):
    response = client.post(
        reverse("physicians:reset_request"), {"id_number": world.physician.id_number, "mobile": "13700000000"}
    )
    assert response["Location"] == reverse("physicians:reset_confirm")  # as for the right pair
    assert not SmsCode.objects.exists() and sms_outbox == []


def test_password_recovery_by_email_link(client, world, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("physicians:email_reset"), {"email": world.physician.email})
    assert response["Location"] == reverse("physicians:email_reset_done")
    notification = Notification.objects.get(channel="email")
    assert notification.recipient == world.physician.email
    assert len(mailoutbox) == 1
    link = re.search(r"https?://[^/\s]+(/\S+)", mailoutbox[0].body).group(1)

    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("physicians:email_reset_complete")
    assert authenticate(username=world.physician.username, password=NEW_PASSWORD) == world.physician


def test_email_recovery_does_not_reach_staff_accounts(client, world, mailoutbox, django_capture_on_commit_callbacks):
    world.staff.email = "hr@example.com"
    world.staff.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("physicians:email_reset"), {"email": "hr@example.com"})
    assert mailoutbox == []


# ---- Profile ---------------------------------------------------------------------------------


def test_the_email_address_is_changed(phys_client, world):
    phys_client.post(reverse("physicians:profile"), {"email": "new@example.com"})
    world.physician.refresh_from_db()
    assert world.physician.email == "new@example.com"


def test_a_new_mobile_is_taken_only_after_its_code_comes_back(
    phys_client, world, sms_outbox, django_capture_on_commit_callbacks
):
    old = world.physician.mobile
    with django_capture_on_commit_callbacks(execute=True):
        response = phys_client.post(reverse("physicians:profile"), {"mobile": "137 0000 1234"})
    assert response["Location"] == reverse("physicians:mobile_confirm")
    world.physician.refresh_from_db()
    assert world.physician.mobile == old
    code = last_code(sms_outbox, "13700001234")

    phys_client.post(reverse("physicians:mobile_confirm"), {"code": code})
    world.physician.refresh_from_db()
    assert world.physician.mobile == "13700001234"


def test_a_bad_new_mobile_is_refused(phys_client, world):
    response = phys_client.post(reverse("physicians:profile"), {"mobile": "12345"})
    assert response.status_code == 200
    assert User.objects.get(pk=world.physician.pk).mobile == world.physician.mobile
    assert not SmsCode.objects.exists()
