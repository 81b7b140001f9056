"""The authority portal through HTTP: what a clerk sees and does."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from docregistry.accounts.models import Role, User
from docregistry.public.tokens import review_form_url
from docregistry.registrations import services
from docregistry.registrations.checklists import checklist_codes, checklist_for
from docregistry.registrations.models import Application, Institution, Notification, RegistrationWindow
from tests.factories import (
    AuthorityFactory,
    ClerkFactory,
    InstitutionFactory,
    PhysicianFactory,
    StaffFactory,
    application_for,
)
from tests.otp import pass_second_factor

State = Application.State


@pytest.fixture
def clerk_client(client, world):
    client.force_login(world.clerk)
    return client


def other_city_application():
    """An application forwarded by an institution in Chengdu (510104)."""
    institution = InstitutionFactory(region_id="510104")
    physician = PhysicianFactory()
    application = application_for(physician, institution)
    application = services.application_submit(application=application, actor=physician)
    staff = User.objects.create(username="cd-staff", role=Role.INSTITUTION, institution=institution)
    return services.application_approve_by_institution(application=application, actor=staff)


# ---- Jurisdiction ------------------------------------------------------------------


def test_queue_lists_forwarded_applications_oldest_first_and_only_in_the_jurisdiction(clerk_client, world):
    first = world.institution_approved()
    Application.objects.filter(pk=first.pk).update(institution_decided_at=timezone.now() - datetime.timedelta(days=3))
    second = application_for(PhysicianFactory(), world.institution)
    second = services.application_submit(application=second, actor=second.physician)
    second = services.application_approve_by_institution(application=second, actor=world.staff)
    foreign = other_city_application()
    waiting = world.draft()  # a draft is never shown to the authority

    response = clerk_client.get(reverse("authority:index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert first.number in html and second.number in html
    assert html.index(first.number) < html.index(second.number)
    assert foreign.number not in html
    assert waiting.pk not in [a.pk for a in response.context["applications"]]


def test_queue_search_combines_conditions(clerk_client, world):
    application = world.institution_approved()
    other = application_for(PhysicianFactory(real_name="李娜"), world.institution, name="李娜")
    other = services.application_submit(application=other, actor=other.physician)
    services.application_approve_by_institution(application=other, actor=world.staff)

    response = clerk_client.get(reverse("authority:index"), {"name": "张", "type": "first", "state": ""})
    assert [a.pk for a in response.context["applications"]] == [application.pk]
    response = clerk_client.get(reverse("authority:index"), {"name": "张", "type": "change", "state": ""})
    assert list(response.context["applications"]) == []


def test_queue_list_has_a_fixed_number_of_queries(clerk_client, world, django_assert_num_queries):
    for n in range(5):
        physician = PhysicianFactory()
        application = services.application_submit(
            application=application_for(physician, world.institution), actor=physician
        )
        application = services.application_approve_by_institution(application=application, actor=world.staff)
        if n % 2:  # accepted ones show their deadline, the others "not accepted"
            services.application_accept_by_authority(application=application, actor=world.clerk)
    with django_assert_num_queries(8):  # one reads the holiday calendar for every row's clock, one the 2FA device
        response = clerk_client.get(reverse("authority:index"))
    assert len(response.context["applications"]) == 5
    assert sum(1 for _a, clock in response.context["rows"] if clock["pending"]) == 3


def test_clerk_of_another_city_gets_404_for_application_institution_and_window(client, world):
    application = world.institution_approved()
    window = RegistrationWindow.objects.create(
        authority=world.authority, starts_on=datetime.date(2026, 11, 1), ends_on=datetime.date(2026, 12, 31)
    )
    chengdu_clerk = ClerkFactory(authority=AuthorityFactory(region_id="510100"))
    client.force_login(chengdu_clerk)

    assert client.get(reverse("authority:application", args=[application.pk])).status_code == 404
    assert client.get(reverse("authority:open_number", args=[application.number])).status_code == 404
    assert client.get(reverse("authority:institution", args=[world.institution.pk])).status_code == 404
    response = client.post(
        reverse("authority:approve", args=[application.pk]), {"checklist": checklist_codes(application)}
    )
    assert response.status_code == 404
    assert client.post(reverse("authority:institution_deactivate", args=[world.institution.pk])).status_code == 404
    assert client.post(reverse("authority:window_delete", args=[window.pk])).status_code == 404
    application.refresh_from_db()
    world.institution.refresh_from_db()
    assert application.state == State.INSTITUTION_APPROVED
    assert world.institution.is_active
    assert RegistrationWindow.objects.filter(pk=window.pk).exists()
    assert world.institution.name not in client.get(reverse("authority:institutions")).content.decode()


def test_application_still_at_the_institution_is_not_visible_to_the_authority(clerk_client, world):
    application = world.submitted()
    assert clerk_client.get(reverse("authority:application", args=[application.pk])).status_code == 404


def test_application_the_institution_returned_before_forwarding_stays_private(clerk_client, world):
    application = world.submitted()
    services.application_return_by_institution(application=application, actor=world.staff, comment="请补充学历")
    assert clerk_client.get(reverse("authority:application", args=[application.pk])).status_code == 404
    response = clerk_client.get(reverse("authority:index"), {"state": ""})
    assert list(response.context["applications"]) == []


def test_other_portals_are_sent_away_from_the_authority_portal(client, world):
    client.force_login(world.staff)
    response = client.get(reverse("authority:index"))
    assert response.status_code == 302
    assert response.url == reverse("institutions:index")


# ---- Open by code ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "{number}",
        " {number} ",
        "{digits}",
        "{fullwidth}",
    ],
)
def test_open_by_number_as_typed_or_scanned(clerk_client, world, typed):
    application = world.institution_approved()
    digits = application.number.replace("-", "")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in digits)
    raw = typed.format(number=application.number, digits=digits, fullwidth=fullwidth)

    response = clerk_client.get(reverse("authority:open"), {"number": raw})

    assert response.status_code == 302
    assert response.url == reverse("authority:application", args=[application.pk])
    response = clerk_client.get(reverse("authority:open_number", args=[digits]))
    assert response.url == reverse("authority:application", args=[application.pk])


def test_open_by_the_verification_url_the_scanner_reads_from_the_qr_code(clerk_client, client, world):
    application = world.institution_approved()
    scanned = review_form_url(application)

    response = clerk_client.get(reverse("authority:open"), {"number": scanned})

    assert response.url == reverse("authority:application", args=[application.pk])
    chengdu_clerk = ClerkFactory(authority=AuthorityFactory(region_id="510100"))
    client.force_login(chengdu_clerk)
    response = client.get(reverse("authority:open"), {"number": scanned}, follow=True)
    assert response.redirect_chain == [(reverse("authority:index"), 302)]  # another city's: not found


def test_open_by_unknown_number_says_so_in_chinese(clerk_client, world):
    response = clerk_client.get(reverse("authority:open"), {"number": "2026-110105-999999"}, follow=True)
    assert "没有" in response.content.decode()
    assert "2026-110105-999999" in response.content.decode()


# ---- Final review ------------------------------------------------------------------


def test_review_page_shows_the_whole_application_clock_and_timeline(clerk_client, world):
    application = world.institution_approved()
    services.application_accept_by_authority(application=application, actor=world.clerk)
    response = clerk_client.get(reverse("authority:application", args=[application.pk]))
    html = response.content.decode()
    assert application.number in html
    assert world.physician.id_number in html
    assert application.qualification_code in html
    assert "内科专业" in html
    assert "第 0 个工作日，共 20 个工作日" in html
    assert response.context["clock"]["limit"] == 20
    assert len(response.context["timeline"]) == 3  # submitted, confirmed, accepted
    for item in checklist_for(application):
        assert escape(item.label) in html


def test_review_form_pdf_is_there_for_the_clerk_of_the_jurisdiction_only(clerk_client, world):
    application = world.approved()
    response = clerk_client.get(reverse("authority:review_form", args=[application.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    outsider = ClerkFactory(authority=AuthorityFactory(region_id="510100"))
    clerk_client.force_login(outsider)
    assert clerk_client.get(reverse("authority:review_form", args=[application.pk])).status_code == 404


def test_approval_needs_the_whole_checklist_and_keeps_the_ticks(clerk_client, world):
    application = world.institution_approved()
    ticked = ["review_form", "id_card"]

    response = clerk_client.post(reverse("authority:approve", args=[application.pk]), {"checklist": ticked})

    assert response.status_code == 400
    [error] = response.context["approve_form"].errors["checklist"]
    labels = {item.code: item.label for item in checklist_for(application)}
    assert labels["photos"] in error
    assert labels["id_card"] not in error
    assert response.context["approve_form"]["checklist"].value() == ticked
    application.refresh_from_db()
    assert application.state == State.INSTITUTION_APPROVED
    assert application.practice_certificate_code == ""


def test_approval_issues_the_certificate_code_and_notifies(clerk_client, world, django_capture_on_commit_callbacks):
    application = world.institution_approved()
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(
            reverse("authority:approve", args=[application.pk]),
            {"checklist": checklist_codes(application), "comment": "同意注册"},
            follow=True,
        )
    application.refresh_from_db()
    assert application.state == State.AUTHORITY_APPROVED
    code = application.practice_certificate_code
    assert code.startswith("110110105") and len(code) == 15
    assert code in response.content.decode()
    assert world.physician.registrations.get().certificate_code == code
    recipients = set(Notification.objects.filter(application=application).values_list("recipient", "state"))
    assert (world.physician.mobile, "sent") in recipients
    assert (world.physician.email, "sent") in recipients
    assert (world.institution.mobile, "sent") in recipients


def test_return_needs_a_reason_and_then_goes_back_to_the_physician(clerk_client, world):
    application = world.institution_approved()
    response = clerk_client.post(reverse("authority:return", args=[application.pk]), {"comment": " "})
    assert response.status_code == 400
    response = clerk_client.post(reverse("authority:return", args=[application.pk]), {"comment": "照片不合格"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == State.RETURNED
    assert application.status_changes.last().comment == "照片不合格"


def test_refusal_cites_the_legal_ground(clerk_client, world):
    application = world.institution_approved()
    response = clerk_client.post(reverse("authority:refuse", args=[application.pk]), {"ground": ""})
    assert response.status_code == 400
    clerk_client.post(reverse("authority:refuse", args=[application.pk]), {"ground": "health", "comment": "体检不合格"})
    application.refresh_from_db()
    assert application.state == State.REFUSED
    assert application.refusal_ground == "health"
    assert application.authority_opinion.startswith("健康") or "体检不合格" in application.authority_opinion


def test_acting_on_an_application_already_decided_says_so(clerk_client, world):
    application = world.institution_approved()
    services.application_return_by_authority(application=application, actor=world.clerk, comment="缺材料")
    response = clerk_client.post(
        reverse("authority:approve", args=[application.pk]), {"checklist": checklist_codes(application)}, follow=True
    )
    # Returned applications are still visible to the authority, but no longer decidable.
    application.refresh_from_db()
    assert application.state == State.RETURNED
    assert str(services.MSG_ALREADY_HANDLED).split("“")[0] in response.content.decode()


# ---- Institutions ------------------------------------------------------------------


def institution_post(**overrides):
    data = {
        "name": "北京市朝阳区第三医院",
        "registration_number": "PDY77777-911010516",
        "address": "北京市朝阳区测试路3号",
        "postcode": "100020",
        "region": "110105",
        "responsible_person": "赵强",
        "mobile": "13700000077",
        "license_checked": "on",
        "authorisation_checked": "on",
        "entrusted_id_checked": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_creating_an_institution_sends_the_credentials_by_sms_after_commit(
    clerk_client, world, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(reverse("authority:institution_create"), institution_post())
    assert response.status_code == 302
    institution = Institution.objects.get(registration_number="PDY77777-911010516")
    staff = institution.staff.get()
    assert staff.role == Role.INSTITUTION and staff.must_change_password
    assert staff.username == "jgpdy77777911010516"
    [sms] = [m for m in sms_outbox if m.to == "13700000077"]
    password = re.search(r"(?:password|密码)\s*([A-Za-z0-9]{10})", sms.body).group(1)
    assert staff.username in sms.body
    assert password and staff.check_password(password)

    # the responsible person signs in and is made to change the password first
    clerk_client.logout()
    response = clerk_client.post(
        reverse("institutions:login"), {"username": staff.username, "password": password}, follow=True
    )
    assert response.resolver_match.url_name == "setup"  # two-factor enrolment, then the new password
    pass_second_factor(clerk_client, staff)
    response = clerk_client.get(reverse("institutions:index"), follow=True)
    assert response.resolver_match.url_name == "password_change"


def test_institution_needs_the_three_documents_checked_and_keeps_the_other_values(clerk_client, world):
    response = clerk_client.post(reverse("authority:institution_create"), institution_post(entrusted_id_checked=None))
    assert response.status_code == 400
    assert not Institution.objects.filter(registration_number="PDY77777-911010516").exists()
    assert 'value="北京市朝阳区第三医院"' in response.content.decode()


def test_institution_outside_the_jurisdiction_cannot_be_created(clerk_client, world):
    response = clerk_client.post(reverse("authority:institution_create"), institution_post(region="510104"))
    assert response.status_code == 400
    assert not Institution.objects.filter(registration_number="PDY77777-911010516").exists()


def test_reset_password_and_deactivate(clerk_client, world, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(reverse("authority:institution_password", args=[world.institution.pk]))
    world.staff.refresh_from_db()
    assert world.staff.must_change_password
    assert any(world.staff.username in m.body for m in sms_outbox)

    clerk_client.post(reverse("authority:institution_deactivate", args=[world.institution.pk]))
    world.institution.refresh_from_db()
    world.staff.refresh_from_db()
    assert not world.institution.is_active
    assert not world.staff.is_active


# ---- Registration windows ------------------------------------------------------------


def test_clerk_adds_and_removes_registration_windows(clerk_client, world):
    response = clerk_client.post(reverse("authority:windows"), {"starts_on": "2026-11-01", "ends_on": "2026-12-31"})
    assert response.status_code == 302
    window = RegistrationWindow.objects.get(authority=world.authority)
    response = clerk_client.post(reverse("authority:windows"), {"starts_on": "2026-12-01", "ends_on": "2027-01-31"})
    assert response.status_code == 400
    assert str(services.MSG_WINDOW_OVERLAP) in response.content.decode()
    response = clerk_client.post(reverse("authority:windows"), {"starts_on": "2027-02-01", "ends_on": "2027-01-01"})
    assert response.status_code == 400
    clerk_client.post(reverse("authority:window_delete", args=[window.pk]))
    assert not RegistrationWindow.objects.exists()


# ---- Reports -----------------------------------------------------------------------


def test_reports_count_and_export_only_the_jurisdiction(clerk_client, world):
    world.approved()
    other_city_application()
    response = clerk_client.get(reverse("authority:reports"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.total == 1
    assert report.decided == 1
    assert "<svg" in response.content.decode()

    response = clerk_client.get(reverse("authority:report_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming  # sent line by line, never built whole in memory
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [world.institution.name, "1"] == rows[[r[1] for r in rows].index(world.institution.name)][1:]

    response = clerk_client.get(reverse("authority:report_xlsx"))
    assert response.streaming
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(row[1] == world.institution.name and row[2] == 1 for row in values)


def test_reports_follow_the_submission_dates(clerk_client, world):
    world.approved()
    today = timezone.localdate()
    response = clerk_client.get(reverse("authority:reports"), {"date_from": today.isoformat()})
    assert response.context["report"].total == 1
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    response = clerk_client.get(reverse("authority:reports"), {"date_from": tomorrow})
    assert response.context["report"].total == 0
    response = clerk_client.get(reverse("authority:report_csv"), {"date_from": tomorrow})
    assert world.institution.name not in b"".join(response.streaming_content).decode("utf-8-sig")


def test_documents_open_for_the_deciding_clerk_only(clerk_client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from docregistry.registrations.models import Document

    application = world.institution_approved()
    document = Document.objects.create(
        application=application,
        kind=Document.Kind.PHOTO,
        file=SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png"),
        original_name="photo.png",
        content_type="image/png",
        size=12,
    )
    page = clerk_client.get(reverse("authority:application", args=[application.pk])).content.decode()
    assert reverse("authority:document", args=[document.pk]) in page
    response = clerk_client.get(reverse("authority:document", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    clerk_client.force_login(ClerkFactory(authority=AuthorityFactory(region_id="510100")))
    assert clerk_client.get(reverse("authority:document", args=[document.pk])).status_code == 404


def test_institution_list_searches_by_name_or_registration_number(clerk_client, world):
    InstitutionFactory(name="北京朝阳口腔医院", registration_number="PDY99999-911010516")
    response = clerk_client.get(reverse("authority:institutions"), {"q": "口腔"})
    assert [i.name for i in response.context["institutions"]] == ["北京朝阳口腔医院"]
    response = clerk_client.get(reverse("authority:institutions"), {"q": "PDY99999"})
    assert [i.name for i in response.context["institutions"]] == ["北京朝阳口腔医院"]


def test_clerk_without_an_authority_is_told_and_sees_nothing(client, db):
    clerk = ClerkFactory(authority=None)
    client.force_login(clerk)
    for name in ("authority:index", "authority:institutions", "authority:institution_create", "authority:reports"):
        response = client.get(reverse(name))
        assert response.status_code == 403
        assert "尚未关联" in response.content.decode()


def test_a_city_clerk_sees_every_district_of_the_city_and_nothing_beyond(client, world):
    chaoyang = world.institution_approved()
    haidian_institution = InstitutionFactory(region_id="110108")
    physician = PhysicianFactory()
    haidian = services.application_submit(application=application_for(physician, haidian_institution), actor=physician)
    haidian = services.application_approve_by_institution(
        application=haidian, actor=StaffFactory(institution=haidian_institution)
    )
    chengdu = other_city_application()
    client.force_login(ClerkFactory(authority=AuthorityFactory(region_id="110100")))

    numbers = {a.number for a in client.get(reverse("authority:index")).context["applications"]}

    assert numbers == {chaoyang.number, haidian.number}
    assert client.get(reverse("authority:application", args=[chengdu.pk])).status_code == 404


def test_a_window_set_by_the_clerk_replaces_the_physicians_submit_button(client, world):
    today = timezone.localdate()
    opens = today + datetime.timedelta(days=20)
    client.force_login(world.clerk)
    client.post(
        reverse("authority:windows"),
        {"starts_on": opens.isoformat(), "ends_on": (opens + datetime.timedelta(days=30)).isoformat()},
    )
    draft = world.draft()

    client.force_login(world.physician)
    page = client.get(reverse("physicians:application_detail", args=[draft.pk])).content.decode()
    assert opens.isoformat() in page
    assert reverse("physicians:application_submit", args=[draft.pk]) not in page
    client.post(reverse("physicians:application_submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.state == State.DRAFT

    # the clerk removes the window: first registrations are accepted again
    client.force_login(world.clerk)
    client.post(reverse("authority:window_delete", args=[RegistrationWindow.objects.get().pk]))
    client.force_login(world.physician)
    page = client.get(reverse("physicians:application_detail", args=[draft.pk])).content.decode()
    assert reverse("physicians:application_submit", args=[draft.pk]) in page


def test_the_next_form_can_be_scanned_from_a_review_page(clerk_client, world):
    application = world.institution_approved()
    page = clerk_client.get(reverse("authority:application", args=[application.pk])).content.decode()
    assert 'id="open-compact"' in page
    assert f'action="{reverse("authority:open")}"' in page


def test_queue_pages_follow_the_row_last_shown(clerk_client, world):
    """Keyset pages: "next" continues after the last row shown, even when rows were added in front meanwhile."""
    from docregistry.registrations.pagination import QUEUE_ORDER, cursor_for

    applications = [world.institution_approved() for _ in range(22)]
    first = clerk_client.get(reverse("authority:index"))
    shown = list(first.context["applications"])
    assert shown == applications[:20]
    assert first.context["page"].has_next and not first.context["page"].has_previous
    second = clerk_client.get(reverse("authority:index"), {"after": cursor_for(shown[-1], QUEUE_ORDER)})
    assert list(second.context["applications"]) == applications[20:]
    assert second.context["page"].has_previous and not second.context["page"].has_next
    back = clerk_client.get(reverse("authority:index"), {"before": cursor_for(applications[20], QUEUE_ORDER)})
    assert list(back.context["applications"]) == applications[:20]
