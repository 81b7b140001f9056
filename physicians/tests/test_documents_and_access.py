"""Uploaded documents and the two-year rule; another physician's objects answer 404."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from docregistry.registrations import services
from docregistry.registrations.models import Application, Document
from qualifications.models import Qualification
from tests import factories

from .helpers import PDF, PNG, form_data, pdf

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def upload(client, application, file, kind=Document.Kind.TRAINING_PROOF):
    return client.post(
        reverse("physicians:document_upload", args=[application.pk]), {"kind": kind, "file": file}, follow=True
    )


@pytest.fixture
def old_qualification_draft(world):
    """A first registration by a physician qualified three years ago."""
    world.qualification.obtained_on = timezone.localdate() - datetime.timedelta(days=3 * 365 + 10)
    world.qualification.save(update_fields=["obtained_on"])
    return world.draft(physician_qualified_on=world.qualification.obtained_on)


def test_a_pdf_proof_is_stored_outside_the_web_root_and_served_to_its_owner(phys_client, world):
    application = world.draft()
    upload(phys_client, application, pdf("培训考核证明.pdf"))

    document = application.documents.get()
    assert (document.kind, document.content_type, document.original_name) == (
        Document.Kind.TRAINING_PROOF,
        "application/pdf",
        "培训考核证明.pdf",
    )
    stored = Path(document.file.path)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert not stored.is_relative_to(Path(settings.BASE_DIR) / "static")
    assert stored.name != "培训考核证明.pdf"  # stored under a generated name

    response = phys_client.get(reverse("physicians:document", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_the_type_is_read_from_the_content_not_the_name(phys_client, world):
    application = world.draft()
    fake = SimpleUploadedFile("proof.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = upload(phys_client, application, fake)
    assert str(services.MSG_FILE_TYPE) in messages_of(response)

    png = SimpleUploadedFile("photo.txt", PNG, content_type="text/plain")
    upload(phys_client, application, png, kind=Document.Kind.PHOTO)
    assert list(application.documents.values_list("content_type", flat=True)) == ["image/png"]


def test_a_file_over_the_size_cap_is_refused(phys_client, world):
    application = world.draft()
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * services.DOCUMENT_MAX_BYTES, content_type="application/pdf")
    response = upload(phys_client, application, big)
    assert str(services.MSG_FILE_TOO_BIG % {"mb": 5}) in messages_of(response)
    assert not application.documents.exists()


def test_documents_are_fixed_once_submitted(phys_client, world):
    application = world.draft()
    upload(phys_client, application, pdf())
    document = application.documents.get()
    services.application_submit(application=application, actor=world.physician)

    response = upload(phys_client, application, pdf("second.pdf"))
    assert str(services.MSG_NOT_EDITABLE) in messages_of(response)
    phys_client.post(reverse("physicians:document_delete", args=[document.pk]))
    assert application.documents.count() == 1


def test_a_draft_document_can_be_removed(phys_client, world):
    application = world.draft()
    upload(phys_client, application, pdf())
    document = application.documents.get()
    path = Path(document.file.path)
    phys_client.post(reverse("physicians:document_delete", args=[document.pk]))
    assert not application.documents.exists()
    assert not path.exists()


def test_the_two_year_rule_requires_the_training_proof(phys_client, world, old_qualification_draft):
    application = old_qualification_draft
    html = phys_client.get(reverse("physicians:application_edit", args=[application.pk])).content.decode()
    assert 'id="two-year-rule"' in html
    assert 'name="training_assessment"' in html  # page 2's training and assessment line

    response = phys_client.post(
        reverse("physicians:application_edit", args=[application.pk]), form_data(application, submit="1")
    )
    page = response.content.decode()
    assert escape(str(services.MSG_TRAINING_PROOF_REQUIRED)) in page
    assert escape(str(services.MSG_TRAINING_LINE_REQUIRED)) in page
    application.refresh_from_db()
    assert application.state == Application.State.DRAFT

    upload(phys_client, application, pdf())
    line = "北京市医师培训中心 2026年1月—2026年6月 考核合格"
    phys_client.post(
        reverse("physicians:application_edit", args=[application.pk]),
        form_data(application, training_assessment=line, submit="1"),
    )
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED
    assert application.training_assessment == line


def test_the_training_line_is_not_asked_without_the_two_year_rule(phys_client, world):
    application = world.draft()
    html = phys_client.get(reverse("physicians:application_edit", args=[application.pk])).content.decode()
    assert 'name="training_assessment"' not in html


def test_a_photo_is_not_a_training_proof(world, old_qualification_draft):
    application = old_qualification_draft
    services.document_add(
        application=application,
        actor=world.physician,
        kind=Document.Kind.PHOTO,
        file=SimpleUploadedFile("p.png", PNG),
    )
    with pytest.raises(ValidationError) as exc:
        services.application_submit(application=application, actor=world.physician)
    assert exc.value.message_dict["documents"] == [str(services.MSG_TRAINING_PROOF_REQUIRED)]


def test_suspended_practice_also_needs_the_proof(phys_client, world):
    application = world.draft(type=Application.Type.REREGISTER)
    phys_client.post(
        reverse("physicians:application_edit", args=[application.pk]),
        form_data(application, practice_suspended="on", submit="1"),
    )
    application.refresh_from_db()
    assert application.practice_suspended is True
    assert application.state == Application.State.DRAFT
    assert services.two_year_rule_applies(application=application)


def test_a_recent_qualification_needs_no_proof(world):
    assert not services.two_year_rule_applies(application=world.draft())


# ---- 404 for what is not yours ----------------------------------------------------------


@pytest.fixture
def others_application(world, other_physician):
    qualification = Qualification.objects.get(id_number=other_physician.id_number)
    application = factories.application_for(other_physician, world.institution, qualification=qualification)
    services.document_add(application=application, actor=other_physician, kind=Document.Kind.PHOTO, file=pdf())
    return application


@pytest.mark.parametrize(
    ("method", "url_name"),
    [
        ("get", "application_detail"),
        ("get", "application_edit"),
        ("post", "application_edit"),
        ("post", "application_submit"),
        ("post", "application_withdraw"),
        ("get", "institution_pick"),
        ("post", "document_upload"),
    ],
)
def test_another_physicians_application_is_not_found(phys_client, others_application, method, url_name):
    response = getattr(phys_client, method)(reverse(f"physicians:{url_name}", args=[others_application.pk]))
    assert response.status_code == 404
    others_application.refresh_from_db()
    assert others_application.state == Application.State.DRAFT


@pytest.mark.parametrize(("method", "url_name"), [("get", "document"), ("post", "document_delete")])
def test_another_physicians_document_is_not_found(phys_client, others_application, method, url_name):
    document = others_application.documents.get()
    response = getattr(phys_client, method)(reverse(f"physicians:{url_name}", args=[document.pk]))
    assert response.status_code == 404
    assert others_application.documents.exists()


def test_a_missing_application_is_not_found_either(phys_client):
    assert phys_client.get(reverse("physicians:application_detail", args=[999999])).status_code == 404


def test_other_portals_users_are_sent_to_their_own_portal(client, world):
    client.force_login(world.staff)
    response = client.get(reverse("physicians:applications"))
    assert response.status_code == 302
    assert response["Location"] == reverse("institutions:index")
