"""In a real Chromium: the QR code on the review form as the browser renders it opens the verification page."""

import io
from pathlib import Path

import pytest
import zxingcpp
from django.conf import settings
from django.test import Client
from django.urls import reverse
from PIL import Image

from docregistry.registrations import services
from tests import factories

pytestmark = pytest.mark.browser
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"


@pytest.fixture
def world(django_db_serialized_rollback, transactional_db):
    return factories.World.create()


def test_the_qr_on_the_rendered_review_form_opens_the_live_verification_page(browser, live_server, world, settings):
    settings.SITE_URL = live_server.url
    application = world.submitted()
    staff = Client()
    staff.force_login(world.staff)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": staff.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()

    page.goto(reverse("institutions:preview", args=[application.pk]))
    qr = page.locator(".rf-page .rf-qr").first
    qr.wait_for()
    image = Image.open(io.BytesIO(qr.screenshot()))
    (scanned,) = [code.text for code in zxingcpp.read_barcodes(image)]
    assert scanned.startswith(f"{live_server.url}/v/")

    visitor = browser.new_context(locale="zh-CN").new_page()  # anyone with the print: no login
    visitor.goto(scanned)
    assert visitor.locator("[data-verify=current]").is_visible()
    assert application.number in visitor.content()

    services.application_return_by_institution(application=application, actor=world.staff, comment="请补充学历")
    visitor.reload()
    warning = visitor.locator("[data-verify=stale]")
    assert warning.is_visible()
    assert "此打印件已过期" in warning.inner_text() and "退回" in warning.inner_text()
    red, green, blue = (int(c) for c in warning.evaluate("e => getComputedStyle(e).color")[4:-1].split(", ")[:3])
    assert red > 2 * green and red > 2 * blue  # red text (Bootstrap's danger alert)
    ARTIFACTS.mkdir(exist_ok=True)
    visitor.screenshot(path=str(ARTIFACTS / "verify-stale.png"), full_page=True)
    context.close()
