"""Security headers and the small findings of issue 16: CSP, Permissions-Policy, no password echoed,
/healthz details behind a token (tests/integration/test_health.py), clean file names, the staff idle
timeout, neutralised export cells, seed_demo under production settings, a password change that changes it.
"""

import csv
import io
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from docregistry.accounts.portals import MSG_PASSWORD_UNCHANGED
from docregistry.registrations.models import Document
from docregistry.security import SESSION_LAST_SEEN, clean_file_name, neutralise_cell
from tests import factories
from tests.factories import PASSWORD

from .test_settings import _run

pytestmark = pytest.mark.django_db

TEMPLATE_DIRS = [Path(settings.BASE_DIR, "templates"), *Path(settings.BASE_DIR).glob("*/templates")]
TEMPLATE_DIRS += list(Path(settings.BASE_DIR, "docregistry").glob("*/templates"))
PDF_ONLY = {"review_form.html", "certificate.html"}  # rendered by WeasyPrint, never sent to a browser


def test_every_page_has_a_strict_content_security_policy_and_permissions_policy(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert client.get("/register/")["Content-Security-Policy"] == policy


def test_no_template_has_an_inline_script_style_block_or_style_attribute():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            if path.name in PDF_ONLY or "reviewform" in path.parts and path.name != "_form_pages.html":
                continue
            text = path.read_text()
            for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=", r"\son[a-z]+=\""):
                for found in re.finditer(pattern, text):
                    if "application/json" in found.group(0) or "application/ld+json" in found.group(0):
                        continue
                    offenders.append(f"{path.relative_to(settings.BASE_DIR)}: {found.group(0)}")
    assert offenders == []


def test_the_print_preview_takes_its_styles_from_a_file(client, world):
    application = world.submitted()
    client.force_login(world.staff)
    html = client.get(reverse("institutions:preview", args=[application.pk])).content.decode()
    assert "<style" not in html
    assert reverse("institutions:print_preview_css") in html
    css = client.get(reverse("institutions:print_preview_css"))
    assert css["Content-Type"].startswith("text/css")
    assert ".rf-page" in css.content.decode() and "@media print" in css.content.decode()


def test_a_failed_signup_never_sends_the_password_back(client):
    secret = "Qz-Secret-2026-xyz"
    data = {
        "real_name": "王小明",
        "id_number": "bad",
        "mobile": "13800138000",
        "email": "w@example.com",
        "username": "wangxm2",
        "password": secret,
        "password_again": secret,
    }
    response = client.post(reverse("physicians:signup"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="wangxm2"' in html  # the other fields are kept
    assert secret not in html


# ---- File names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("invoice\u202egpj.exe.pdf", "invoicegpj.exe.pdf"),  # RIGHT-TO-LEFT OVERRIDE
        ("a\u200bb\u2066c\u2069.pdf", "abc.pdf"),  # zero-width space, isolates
        ("line\r\nbreak\t.png", "linebreak.png"),
        ("C:\\Users\\x\\证明.pdf", "证明.pdf"),
        ("\u202e", "file"),
    ],
)
def test_file_names_lose_control_and_bidi_characters(given, expected):
    assert clean_file_name(given) == expected


def test_an_uploaded_document_keeps_a_clean_name(client, world):
    from physicians.tests.helpers import pdf

    application = world.draft()
    client.force_login(world.physician)
    client.post(
        reverse("physicians:document_upload", args=[application.pk]),
        {"kind": Document.Kind.TRAINING_PROOF, "file": pdf("证明\u202efdp.exe")},
    )
    assert application.documents.get().original_name == "证明fdp.exe"


# ---- Staff idle timeout -------------------------------------------------------------------


def _age_session(client, seconds):
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - seconds
    session.save()


def test_staff_are_signed_out_after_30_idle_minutes(client, world):
    client.force_login(world.staff)
    assert client.get(reverse("institutions:index")).status_code == 200
    _age_session(client, 29 * 60)
    assert client.get(reverse("institutions:index")).status_code == 200  # activity resets the clock
    _age_session(client, 31 * 60)
    response = client.get(reverse("institutions:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("institutions:login"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("institutions:index")).status_code == 302


@pytest.mark.parametrize("who", ["clerk", "admin"])
def test_clerks_and_admins_time_out_too(client, world, who):
    user = world.clerk if who == "clerk" else factories.UserFactory(role="admin", is_staff=True, is_superuser=True)
    url = reverse("authority:index") if who == "clerk" else reverse("admin:index")
    client.force_login(user)
    assert client.get(url).status_code == 200
    _age_session(client, 31 * 60)
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_physicians_keep_their_session(client, world):
    client.force_login(world.physician)
    client.get(reverse("physicians:index"))
    _age_session(client, 3 * 3600)
    assert client.get(reverse("physicians:index")).status_code == 200


# ---- Exports ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(value):
    assert neutralise_cell(value) == "'" + value
    assert neutralise_cell("张伟") == "张伟" and neutralise_cell(-3) == -3


def test_report_csv_and_xlsx_neutralise_an_institution_name(client, world):
    world.institution.name = '=HYPERLINK("http://evil.example/","点击")'
    world.institution.save(update_fields=["name"])
    world.approved()
    client.force_login(world.clerk)
    body = b"".join(client.get(reverse("authority:report_csv")).streaming_content).decode("utf-8-sig")
    names = [row[1] for row in csv.reader(io.StringIO(body))]
    assert "'" + world.institution.name in names and world.institution.name not in names
    response = client.get(reverse("authority:report_xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "'" + world.institution.name in cells and world.institution.name not in cells


# ---- seed_demo and the password change ------------------------------------------------------


def test_seed_demo_refuses_when_demo_data_is_not_allowed(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", stdout=io.StringIO())
    from docregistry.accounts.models import User

    assert not User.objects.filter(username="physician").exists()


def test_the_production_settings_forbid_demo_data():
    probe = "import django; django.setup(); from django.conf import settings; print(settings.DEMO_DATA_ALLOWED)"
    result = _run("docregistry.settings.production", probe, SECRET_KEY="x" * 60, ALLOWED_HOSTS="registry.example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_forced_password_change_refuses_the_one_time_password(client, world):
    staff = factories.StaffFactory(institution=world.institution, username="hr_0002", must_change_password=True)
    client.force_login(staff)
    response = client.post(
        reverse("institutions:password_change"),
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 200
    assert str(MSG_PASSWORD_UNCHANGED) in response.content.decode()
    assert PASSWORD not in response.content.decode()
    staff.refresh_from_db()
    assert staff.must_change_password and staff.check_password(PASSWORD)
