"""The page behind every printed code: what the print says, what the record says now, and when they differ."""

import pytest
from django.urls import reverse

from docregistry.public import tokens
from docregistry.public.tokens import review_form_url
from docregistry.registrations import services
from docregistry.registrations.checklists import checklist_codes
from institutions.tests.pdfcheck import qr_codes

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_qr_of_the_printed_form_opens_a_page_that_says_it_is_current(client, staff, world):
    app = world.submitted()
    client.force_login(staff)
    pdf = client.get(reverse("institutions:review_form", args=[app.pk])).content
    (scanned,) = qr_codes(pdf, 0)
    client.logout()

    response = client.get(path_of(scanned))

    assert response.status_code == 200
    page = response.content.decode()
    assert app.number in page and app.name in page and world.institution.name in page
    assert 'data-verify="current"' in page
    assert "与当前记录一致" in page
    assert world.physician.id_number not in page
    assert world.physician.mobile not in page and world.physician.email not in page
    assert world.institution.address not in page


def test_a_print_made_before_a_return_warns_in_red_that_it_is_out_of_date(client, world):
    app = world.submitted()
    printed = review_form_url(app)
    services.application_return_by_institution(application=app, actor=world.staff, comment="请补充学历")

    page = client.get(path_of(printed)).content.decode()

    assert 'class="alert alert-danger fw-bold"' in page
    assert "此打印件已过期：该申请已于" in page and "退回" in page
    app.refresh_from_db()
    assert 'data-verify="current"' in client.get(path_of(review_form_url(app))).content.decode()


def test_the_stale_warning_speaks_english_when_asked(client, world):
    app = world.submitted()
    printed = review_form_url(app)
    services.application_approve_by_institution(application=app, actor=world.staff)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    page = client.get(path_of(printed)).content.decode()

    assert "This print is out of date: the application was confirmed by the institution on" in page


def test_an_approved_application_shows_its_certificate_code_now(client, world):
    app = world.submitted()
    printed = review_form_url(app)
    app = world_approve(world, app)
    page = client.get(path_of(printed)).content.decode()
    assert app.practice_certificate_code in page
    assert "已批准" in page or "审核通过" in page or app.get_state_display() in page


def world_approve(world, app):
    app = services.application_approve_by_institution(application=app, actor=world.staff)
    return services.application_approve_by_authority(application=app, actor=world.clerk, checklist=checklist_codes(app))


@pytest.mark.parametrize("damage", ["flip", "version", "kind", "unsigned"])
def test_a_forged_or_altered_token_is_a_plain_404(client, world, damage):
    app = world.submitted()
    token = tokens.make_token(tokens.REVIEW_FORM, app.pk, app.version)
    if damage == "flip":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif damage == "version":  # a version the application never had
        token = tokens.make_token(tokens.REVIEW_FORM, app.pk, app.version + 5)
    elif damage == "kind":  # the payload of another document, signed with another salt
        from django.core import signing

        token = signing.Signer(salt="something-else").sign_object(["rf", app.pk, app.version])
    else:
        token = token.split(":", 1)[0]

    response = client.get(reverse("publicregister:verify", args=[token]))

    assert response.status_code == 404
    assert app.name not in response.content.decode()


def test_a_token_for_a_missing_application_is_a_404(client, world):
    token = tokens.make_token(tokens.REVIEW_FORM, 999999, 1)
    assert client.get(reverse("publicregister:verify", args=[token])).status_code == 404
