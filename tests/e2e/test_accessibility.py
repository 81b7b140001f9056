"""axe-core on every page of the three portals, in Chinese and in English: no violation of any impact.

axe-core (the copy bundled in the ``axe-playwright-python`` package, so nothing comes from a CDN) is
injected into each page in Debian's Chromium and run with the WCAG 2.1 A/AA rules and best practices.
Physician pages are checked on a 375 px phone, staff pages at 1366 px.
"""

import json
from pathlib import Path

import axe_playwright_python
import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tests import factories
from tests.register_rows import open_reports, registrations

pytestmark = pytest.mark.browser

AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def pages(django_db_serialized_rollback, transactional_db):
    """A world with an application in every state a page shows, and the pages to check per user."""
    world = factories.World.create()
    draft = world.draft()
    draft.refresh_from_db()
    forwarded = world.institution_approved()
    registered = registrations(world, ["王芳", "李娜"])
    open_reports(world, registered)  # the register, its queue and 在职医师 have rows
    return world, [
        (None, PHONE, ["/", "/physician/login/", "/physician/signup/", "/institution/login/", "/authority/login/"]),
        (
            world.physician,
            PHONE,
            [
                "/physician/",
                "/physician/qualification/",
                "/physician/profile/",
                "/physician/applications/",
                "/physician/applications/new/",
                f"/physician/applications/{draft.pk}/edit/",
                f"/physician/applications/{draft.pk}/",
                f"/physician/applications/{forwarded.pk}/",
                f"/physician/applications/{forwarded.pk}/receipt/",
                # The form after "Upload" without a file: the error summary at the top, focused.
                (f"/physician/applications/{draft.pk}/edit/", "button[name=upload]"),
            ],
        ),
        (
            world.staff,
            DESKTOP,
            [
                "/institution/",
                f"/institution/applications/{forwarded.pk}/",
                "/institution/physicians/",
                "/account/2fa/verify/",
            ],
        ),
        (
            world.clerk,
            DESKTOP,
            [
                "/authority/",
                f"/authority/applications/{forwarded.pk}/",
                "/authority/institutions/",
                f"/authority/institutions/{world.institution.pk}/",
                "/authority/institutions/new/",
                "/authority/windows/",
                "/authority/office/",
                "/authority/reports/",
                "/authority/register/",
                f"/authority/register/{registered[0].pk}/",
                "/authority/register/reports/",
            ],
        ),
    ]


def violations_on(page) -> list[str]:
    # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') refuses an inline <script> tag.
    page.evaluate(AXE_JS.read_text())
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {', '.join(json.dumps(n['target']) for n in v['nodes'][:5])}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_has_no_axe_violation(browser, live_server, pages, language):
    world, groups = pages
    found = {}
    checked = 0
    try:
        for user, viewport, urls in groups:
            context = browser.new_context(base_url=live_server.url, viewport=viewport)
            cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
            if user is not None:
                client = Client()
                client.force_login(user)
                session = client.cookies[settings.SESSION_COOKIE_NAME].value
                cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url})
            context.add_cookies(cookies)
            page = context.new_page()
            for url in urls:
                url, click = url if isinstance(url, tuple) else (url, None)
                response = page.goto(url)
                assert response.status == 200, f"{url}: {response.status}"
                if click:
                    with page.expect_navigation():
                        page.click(click)
                    url = f"{url} after {click}"
                    assert page.evaluate("document.activeElement.id") == "error-summary"
                assert page.evaluate("document.documentElement.lang") == language
                checked += 1
                if problems := violations_on(page):
                    found[url] = problems
            context.close()
    finally:
        connections.close_all()
    assert checked == 30
    assert not found, "\n".join(f"{url}\n  " + "\n  ".join(problems) for url, problems in found.items())
