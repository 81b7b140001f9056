"""The physician's JavaScript in a real Chromium: institution search-as-you-type and adding work periods."""

import re

import pytest
from django.db import connections

from docregistry.registrations.models import Application, Region
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def draft(django_db_serialized_rollback, transactional_db):
    physician = factories.PhysicianFactory(username="js-doctor")
    factories.InstitutionFactory(name="北京市海淀区脚本医院", region=Region.objects.get(code="110108"))
    return factories.application_for(physician, None, scope="")


def test_institution_search_and_work_periods_with_javascript(browser, live_server, draft):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/physician/login/")
    page.fill("input[name=username]", "js-doctor")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("main form button.btn-primary")
    page.wait_for_url(re.compile(r"/physician/$"))

    page.goto(f"/physician/applications/{draft.pk}/edit/")
    page.fill("#institution-q", "脚本")
    page.click("#institution-results button:has-text('北京市海淀区脚本医院')")
    assert "北京市海淀区脚本医院" in page.inner_text("#institution-chosen")

    page.select_option("select[name=scope]", "内科专业")
    page.fill("input[name=periods-0-starts_on]", "2018-09-01")
    page.fill("input[name=periods-0-ends_on]", "2021-06-30")
    page.fill("input[name=periods-0-employer]", "北京大学第一医院")
    page.click("#add-period")
    page.fill("input[name=periods-1-starts_on]", "2021-07-01")
    page.fill("input[name=periods-1-employer]", "北京市海淀区脚本医院")
    page.click("button[name=save]")
    page.wait_for_selector(".alert-success")

    try:
        application = Application.objects.get(pk=draft.pk)
        assert application.institution.name == "北京市海淀区脚本医院"
        assert application.scope == "内科专业"
        employers = list(application.work_periods.values_list("employer", flat=True))
        assert employers == ["北京大学第一医院", "北京市海淀区脚本医院"]
        # The page still fits a phone: nothing scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        # Playwright's event loop gave this thread a connection of its own; let the test database go.
        connections.close_all()


@pytest.fixture
def inactive(django_db_serialized_rollback, transactional_db):
    from datetime import timedelta

    from django.utils import timezone

    from docregistry.accounts import services as accounts
    from docregistry.accounts.models import SmsCode

    user = factories.PhysicianFactory(username="js-inactive", mobile_verified_at=None)
    accounts.activation_code_send(user=user)
    SmsCode.objects.update(created_at=timezone.now() - timedelta(seconds=52))
    return user


def test_the_resend_button_counts_down_then_works(browser, live_server, inactive):
    page = browser.new_page(base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844})
    page.set_default_timeout(15_000)
    page.goto("/physician/login/")
    page.fill("input[name=username]", "js-inactive")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("main form button.btn-primary")
    page.wait_for_url(re.compile(r"/physician/activate/$"))
    try:
        button = page.locator("button[name=resend]")
        assert button.is_disabled()
        assert re.search(r"\d+", button.inner_text())
        from playwright.sync_api import expect

        # A locator assertion, not wait_for_function: the page's CSP (no 'unsafe-eval') forbids string predicates.
        expect(button).to_be_enabled(timeout=20_000)
        assert not re.search(r"\d", button.inner_text())
    finally:
        connections.close_all()
