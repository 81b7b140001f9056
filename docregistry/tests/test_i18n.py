"""Chinese by default, English on request, and every catalogue complete and compiled."""

import gettext
from pathlib import Path

import polib
import pytest
from django.conf import settings

CATALOGUES = sorted(
    p for p in Path(settings.BASE_DIR).glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def test_every_app_has_a_catalogue():
    folders = {str(p.relative_to(settings.BASE_DIR).parents[3]) for p in CATALOGUES}
    assert folders == {
        ".",
        "authority",
        "docregistry/accounts",
        "docregistry/registrations",
        "docregistry/public",
        "institutions",
        "physicians",
        "publicregister",
        "qualifications",
    }


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_catalogue_is_fully_translated_and_compiled(po_path):
    catalogue = polib.pofile(str(po_path))
    missing = [e.msgid for e in catalogue if e.obsolete is False and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == [], f"untranslated in {po_path}: {missing[:5]}"
    with open(po_path.with_suffix(".mo"), "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)

    def compiled(e):
        return translations.pgettext(e.msgctxt, e.msgid) if e.msgctxt else translations.gettext(e.msgid)

    stale = [e.msgid for e in catalogue if not e.msgid_plural and compiled(e) != e.msgstr]
    assert stale == [], f"{po_path.with_suffix('.mo')} is out of date; run compilemessages: {stale[:5]}"


def test_pages_are_in_chinese_even_when_the_browser_asks_for_english(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert "医师电子化注册" in page
    assert 'lang="zh-hans"' in page


def test_the_language_switch_turns_the_site_english_and_back(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "Physician electronic registration" in page
    assert "医师电子化注册" not in page.split("<body", 1)[1].split("中文", 1)[0]
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "医师电子化注册" in client.get("/").content.decode()
