"""The physician's new steps on a 375 px phone, in Chinese and in English, in a real browser.

The form's five steps, the training proof asked for up front, an upload that keeps what was typed, the
error summary taking focus, and — once the institution confirmed — what to bring, where, and the receipt.
Screenshots of each step are saved to ``test-artifacts/`` (not committed).
"""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone, translation

from docregistry.registrations import receipt, services
from docregistry.registrations.models import Application, Document
from tests import factories

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PHONE = {"width": 375, "height": 812}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

pytestmark = pytest.mark.browser


@pytest.fixture
def world(django_db_serialized_rollback, transactional_db):
    """A physician qualified three years ago (the two-year rule applies) and an authority with an office."""
    world = factories.World.create()
    world.qualification.obtained_on = timezone.localdate() - datetime.timedelta(days=3 * 365 + 10)
    world.qualification.save(update_fields=["obtained_on"])
    world.authority.office_address = "北京市朝阳区日坛北路33号 政务服务中心2层12号窗口"
    world.authority.opening_hours = "周一至周五 9:00–12:00、13:30–17:00"
    world.authority.phone = "010-6509 3000"
    world.authority.save()
    return world


def phone_page(browser, live_server, user, language):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, accept_downloads=True)
    context.set_default_timeout(15_000)
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
        ]
    )
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.accept()))
    return page


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_physician_walks_the_steps_on_a_phone(browser, live_server, world, language, tmp_path):
    words = {
        "zh-hans": {"steps": ["基本信息", "工作经历", "执业机构", "材料", "提交"], "rule": "医师执业注册管理办法"},
        "en": {
            "steps": ["Basic information", "Work history", "Institution", "Materials", "Submit"],
            "rule": "two-year rule",
        },
    }[language]
    try:
        page = phone_page(browser, live_server, world.physician, language)
        # A first registration is started; the form shows its five steps and asks for the proof up front.
        page.goto("/physician/applications/new/")
        page.check("input[name=type][value=first]")
        page.click("main form button.btn-primary")
        page.wait_for_url(re.compile(r"/physician/applications/\d+/edit/"))
        application = Application.objects.get(physician=world.physician)
        assert [s.strip() for s in page.locator("#steps li a").all_inner_texts()] == words["steps"]
        assert words["rule"] in page.inner_text("#two-year-rule")
        assert world.qualification.obtained_on.isoformat() in page.inner_text("#two-year-rule")
        assert page.input_value("#id_doc-kind") == Document.Kind.TRAINING_PROOF
        assert fits_the_phone(page)
        shot(page, f"steps-{language}-1-form")

        # "Upload" without a file: the error summary takes focus and links to the file field.
        page.fill("#id_health_status", "良好")
        with page.expect_navigation():
            page.click("button[name=upload]")
        assert page.evaluate("document.activeElement.id") == "error-summary"
        assert page.get_attribute("#error-summary", "role") == "alert"
        page.click("#error-summary a[href='#id_doc-file']")
        assert page.evaluate("document.activeElement.id") == "id_doc-file"
        assert page.input_value("#id_health_status") == "良好"
        shot(page, f"steps-{language}-2-error-summary")

        # Text typed and a file chosen go in one submit: both are kept.
        page.select_option("#id_education", "本科")
        page.select_option("#id_scope", "内科专业")
        page.fill("#id_health_status", "良好，无传染病")
        page.fill("#id_training_assessment", "北京市医师培训中心 2026年1月—6月 考核合格")  # the two-year rule's line
        page.fill("#id_periods-0-starts_on", "2021-09-01")
        page.fill("#id_periods-0-employer", "北京大学第一医院")
        page.fill("#institution-q", world.institution.name)
        page.click(f"#institution-results button:has-text('{world.institution.name}')")
        proof = tmp_path / "培训考核证明.pdf"
        proof.write_bytes(PDF)
        page.set_input_files("#id_doc-file", str(proof))
        with page.expect_navigation():
            page.click("button[name=upload]")
        assert page.input_value("#id_health_status") == "良好，无传染病"
        assert page.input_value("#id_periods-0-employer") == "北京大学第一医院"
        assert "培训考核证明.pdf" in page.inner_text("#documents")
        assert world.institution.name in page.inner_text("#institution-chosen")
        assert page.get_attribute("#steps li:nth-child(4)", "class") == "step-done"
        shot(page, f"steps-{language}-3-uploaded")

        # Submitted: the institution acts next.
        with page.expect_navigation():
            page.click("button[name=submit]")
        assert world.institution.name in page.inner_text("#next-who")
        shot(page, f"steps-{language}-4-submitted")

        # The institution confirms: the physician is told what to bring, where, by when, and gets a receipt.
        application.refresh_from_db()
        services.application_approve_by_institution(application=application, actor=world.staff)
        page.reload()
        with translation.override(language):
            expected = receipt.materials_for(application)
        assert [m.strip() for m in page.locator("#materials li").all_inner_texts()] == expected
        office = page.inner_text("#office")
        assert world.authority.office_address in office and world.authority.phone in office
        assert "受理" in page.inner_text("#next-deadline")  # the 20 working days start at acceptance
        assert fits_the_phone(page)
        shot(page, f"steps-{language}-5-bring-materials")
        page.click("#receipt-link")
        page.wait_for_url(re.compile(r"/receipt/$"))
        assert application.number in page.inner_text("#receipt")
        assert fits_the_phone(page)
        shot(page, f"steps-{language}-6-receipt")
        # The authority accepts the materials: the page and the receipt give the decision date.
        application.refresh_from_db()
        services.application_accept_by_authority(application=application, actor=world.clerk)
        page.reload()
        assert re.search(r"\d{4}-\d{2}-\d{2}", page.inner_text("#receipt"))
        pdf = page.context.request.get(page.get_attribute("#receipt-pdf", "href"))
        assert pdf.ok and pdf.body().startswith(b"%PDF")
        (ARTIFACTS / f"receipt-{language}.pdf").write_bytes(pdf.body())
        page.context.close()
    finally:
        connections.close_all()
