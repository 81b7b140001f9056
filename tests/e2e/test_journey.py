"""The whole journey in a real browser: physician, institution and authority portals together.

Chromium (Debian's ``chromium`` package) is driven by Playwright against
pytest-django's live server. The activation SMS is read from the in-memory SMS
backend of the test settings (Celery runs eagerly, so it lands in this process).
Screenshots of each portal's main page are saved to ``test-artifacts/``.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from docregistry.accounts.sms import locmem
from docregistry.registrations.demo import make_certificate_code, make_id_number
from docregistry.registrations.models import Application, Category, Level, Region
from qualifications.models import Qualification
from tests.factories import PASSWORD, AuthorityFactory, ClerkFactory, InstitutionFactory, StaffFactory
from tests.otp import totp_code

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

pytestmark = pytest.mark.browser

NAME = "林晓雨"
ID_NUMBER = make_id_number("110105", datetime.date(1995, 4, 12), 28)
MOBILE = "13911112222"


@pytest.fixture
def parties(django_db_serialized_rollback, transactional_db):
    """What exists before the journey: the roster entry, an institution with staff, an authority with a clerk."""
    obtained = timezone.localdate() - datetime.timedelta(days=300)
    Qualification.objects.create(
        name=NAME,
        id_number=ID_NUMBER,
        level=Level.PHYSICIAN,
        category=Category.CLINICAL,
        obtained_on=obtained,
        certificate_code=make_certificate_code(
            year=obtained.year, id_number=ID_NUMBER, level=Level.PHYSICIAN, category=Category.CLINICAL
        ),
    )
    institution = InstitutionFactory(name="北京市朝阳区旅程医院", registration_number="PDY55555-911010516")
    authority = AuthorityFactory(name="北京市朝阳区卫生健康委员会", region=Region.objects.get(code="110105"))
    return {
        "institution": institution,
        "staff": with_authenticator(StaffFactory(username="journey-hr", institution=institution)),
        "clerk": with_authenticator(ClerkFactory(username="journey-clerk", authority=authority)),
    }


def with_authenticator(user):
    """A staff account that enrolled its authenticator app earlier (the enrolment is tested elsewhere)."""
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def new_page(browser, live_server, *, mobile=False):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        accept_downloads=True,
        viewport={"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Irreversible steps ask first; the journey answers OK and keeps what was asked.
    page.dialogs = []

    def accept(dialog):
        page.dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return page


def sign_in(page, portal: str, username: str):
    page.goto(f"/{portal}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit], main form button.btn-primary")
    if portal != "physician":  # staff: the code from the authenticator app (computed from its key)
        page.wait_for_url(re.compile(r"/account/2fa/verify/"))
        device = TOTPDevice.objects.get(user__username=username)
        page.fill("input[name=code]", totp_code(device))
        page.click("main form button.btn-primary")


def screenshot(page, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_physician_to_certificate_code_through_three_portals(browser, live_server, parties):
    locmem.outbox.clear()

    # ---- The physician signs up on a phone, activates with the SMS code and sees the qualification.
    physician = new_page(browser, live_server, mobile=True)
    physician.goto("/physician/signup/")
    physician.fill("input[name=real_name]", NAME)
    physician.fill("input[name=id_number]", ID_NUMBER)
    physician.fill("input[name=mobile]", MOBILE)
    physician.fill("input[name=email]", "linxiaoyu@example.com")
    physician.fill("input[name=username]", "linxiaoyu")
    physician.fill("input[name=password]", PASSWORD)
    physician.fill("input[name=password_again]", PASSWORD)
    physician.click("main form button.btn-primary")
    physician.wait_for_url(re.compile(r"/physician/activate/"))
    [sms] = [m for m in locmem.outbox if m.to == MOBILE]
    code = re.search(r"\d{6}", sms.body).group(0)
    physician.fill("input[name=code]", code)
    physician.click("main form button.btn-primary")
    physician.wait_for_url(re.compile(r"/physician/qualification/"))
    qualification = Qualification.objects.get(id_number=ID_NUMBER)
    assert qualification.certificate_code in physician.content()

    # ---- A first registration at the institution, submitted.
    physician.goto("/physician/applications/new/")
    physician.check("input[name=type][value=first]")
    physician.check(f"input[name=qualification][value='{qualification.pk}']")
    physician.click("main form button.btn-primary")
    physician.wait_for_url(re.compile(r"/physician/applications/\d+/edit/"))
    physician.select_option("select[name=education]", "本科")
    physician.select_option("select[name=scope]", "内科专业")
    # With JavaScript the search answers as one types; the fallback search page is not offered.
    assert not physician.is_visible("button[name=pick_institution]")
    physician.fill("#institution-q", "旅程医院")
    physician.click("#institution-results button:has-text('北京市朝阳区旅程医院')")
    assert "北京市朝阳区旅程医院" in physician.inner_text("#institution-chosen")
    assert "北京市朝阳区旅程医院" in physician.inner_text("#institution-status")
    physician.click("button[name=submit]")
    physician.wait_for_url(re.compile(r"/physician/applications/\d+/$"))
    application = Application.objects.get(physician__username="linxiaoyu")
    assert application.state == Application.State.SUBMITTED
    assert application.number in physician.content()

    # ---- The institution finds it, previews the review form, approves it and downloads the PDF.
    institution_step(browser, live_server, parties, application)

    # ---- The authority opens it by the code on the printed form, ticks the checklist and approves.
    clerk = new_page(browser, live_server)
    sign_in(clerk, "authority", "journey-clerk")
    clerk.wait_for_url(re.compile(r"/authority/$"))
    assert application.number in clerk.content()
    screenshot(clerk, "authority")
    clerk.fill("#id_open_number", application.number.replace("-", ""))  # as a scanner types it
    clerk.press("#id_open_number", "Enter")
    clerk.wait_for_url(re.compile(rf"/authority/applications/{application.pk}/$"))
    for box in clerk.locator("#approve input[name=checklist]").all():
        box.check()
    clerk.click("#approve button[name=action]")
    clerk.wait_for_selector("#certificate-code")
    code = clerk.inner_text("#certificate-code").strip()
    assert "不可撤销" in clerk.dialogs[-1]
    assert re.fullmatch(r"110110105\d{6}", code)

    # ---- The physician sees the practice certificate code.
    physician.goto("/physician/")
    assert code in physician.content()
    screenshot(physician, "physician")
    application.refresh_from_db()
    assert application.state == Application.State.AUTHORITY_APPROVED
    assert application.practice_certificate_code == code


def institution_step(browser, live_server, parties, application):
    staff = new_page(browser, live_server)
    sign_in(staff, "institution", "journey-hr")
    staff.wait_for_url(re.compile(r"/institution/$"))
    screenshot(staff, "institution")
    # Search by name and type together (a combination of conditions), then "process".
    staff.fill("#search-form input[name=name]", NAME)
    staff.select_option("#search-form select[name=type]", "first")
    staff.click("#search-form button.btn-primary")
    staff.wait_for_url(re.compile(r"/institution/\?"))
    staff.click(f"a[href='/institution/applications/{application.pk}/'] >> nth=0")
    staff.wait_for_url(re.compile(rf"/institution/applications/{application.pk}/$"))
    assert NAME in staff.content()
    # Print preview, then the coded review form as a PDF.
    staff.click(f"a[href='/institution/applications/{application.pk}/preview/'] >> nth=0")
    staff.wait_for_url(re.compile(r"/preview/$"))
    assert application.number in staff.content()
    pdf = staff.context.request.get(f"/institution/applications/{application.pk}/review-form.pdf")
    assert pdf.ok and pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body().startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "review-form.pdf").write_bytes(pdf.body())
    # Approve: the application goes to the authority.
    staff.goto(f"/institution/applications/{application.pk}/")
    with staff.expect_navigation():
        staff.click(f"form[action='/institution/applications/{application.pk}/approve/'] button")
    application.refresh_from_db()
    assert application.state == Application.State.INSTITUTION_APPROVED
