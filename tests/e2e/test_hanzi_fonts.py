"""A rare name shows in the browser from the shipped WOFF2 slices, downloaded only when a page needs them.

Chromium (Debian's ``chromium``) against the live server. The fonts actually used for the name are
read from the DevTools protocol (``CSS.getPlatformFontsForNode``); the font requests from the
network. A screenshot of the page goes to ``test-artifacts/``.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tests import factories

pytestmark = pytest.mark.browser

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
RARE_NAME = "周𭕄𬼔䶮"  # Extension F (one character from each shipped face) and Extension A
CSS = Path(settings.BASE_DIR) / "static" / "fonts" / "hanzi.css"


def slice_for(char: str) -> str:
    """The WOFF2 slice whose unicode-range holds ``char``."""
    for url, ranges in re.findall(r'url\("web/([\w-]+\.woff2)"\)[^}]*unicode-range: ([^;]+);', CSS.read_text()):
        for part in ranges.split(","):
            start, _, end = part.strip().removeprefix("U+").partition("-")
            if int(start, 16) <= ord(char) <= int(end or start, 16):
                return url
    raise AssertionError(f"no slice for U+{ord(char):04X}")


def open_profile(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 700})
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page = context.new_page()
    fonts = []
    page.on("request", lambda request: fonts.append(request.url) if request.resource_type == "font" else None)
    assert page.goto("/physician/profile/").status == 200
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_load_state("networkidle")
    return context, page, fonts


def platform_fonts(context, page, selector: str) -> list[dict]:
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def test_a_rare_name_uses_the_shipped_web_fonts_and_a_common_page_downloads_none(
    browser, live_server, django_db_serialized_rollback, transactional_db
):
    factories.ensure_reference_data()
    rare = factories.PhysicianFactory(real_name=RARE_NAME)
    common = factories.PhysicianFactory(real_name="张伟")
    try:
        context, page, fonts = open_profile(browser, live_server, rare)
        # Each character in its own element, so that the fonts drawing it are its own.
        marked = page.evaluate(
            "name => { for (const dd of document.querySelectorAll('dd')) if (dd.textContent.trim() === name) {"
            " dd.id = 'rare-name'; dd.replaceChildren(...Array.from(name, c => {"
            " const s = document.createElement('span'); s.textContent = c; return s; })); return true; }"
            " return false; }",
            RARE_NAME,
        )
        assert marked, "the name is not on the profile page"
        page.evaluate("document.fonts.ready.then(() => true)")
        used = {
            char: {
                f["familyName"]: f["glyphCount"]
                for f in platform_fonts(context, page, f"#rare-name span:nth-child({i})")
                if f["isCustomFont"]
            }
            for i, char in enumerate(RARE_NAME, start=1)
        }
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "rare-name-profile.png"))
        downloaded = sorted({Path(url.split("?")[0]).name.split(".")[0] for url in fonts})
        context.close()

        context, page, common_fonts = open_profile(browser, live_server, common)
        context.close()
    finally:
        connections.close_all()

    # 𬼔 comes from a HanaMinB slice, 𭕄 and 䶮 from Noto slices. 周 (the URO) is left to the system's
    # fonts and downloads nothing; which face draws it depends on the machine, so it is not asserted.
    assert used["𬼔"] == {"DocRegistry Hanzi Ext": 1}, used
    assert used["𭕄"] == {"Noto Sans SC Subset": 1}, used
    assert used["䶮"] == {"Noto Sans SC Subset": 1}, used
    wanted = sorted({slice_for(c).split(".")[0] for c in RARE_NAME if ord(c) > 0x9FFF or ord(c) < 0x4E00})
    assert downloaded == wanted  # only the slices holding the name's rare characters
    assert common_fonts == []  # a page without rare characters downloads no extension font
