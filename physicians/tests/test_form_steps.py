"""The application form in five steps: the training proof asked for up front, uploads that keep what was typed,
and an error summary linking to every field with an error."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from docregistry.registrations import services
from docregistry.registrations.models import Application, Document
from qualifications.models import Qualification
from tests import factories

from .helpers import form_data, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_draft(world):
    """A first registration by a physician qualified three years ago: the two-year rule applies."""
    world.qualification.obtained_on = timezone.localdate() - datetime.timedelta(days=3 * 365 + 10)
    world.qualification.save(update_fields=["obtained_on"])
    return world.draft(physician_qualified_on=world.qualification.obtained_on)


def edit_url(application):
    return reverse("physicians:application_edit", args=[application.pk])


def test_the_form_shows_five_steps_in_order_with_their_state(phys_client, world):
    application = factories.application_for(world.physician, None, qualification=world.qualification, education="")
    html = phys_client.get(edit_url(application)).content.decode()
    steps = re.search(r'<nav aria-label="申请步骤" id="steps">(.*?)</nav>', html, re.S).group(1)
    names = re.findall(r'<a href="#(step-[a-z]+)">([^<]+)</a>', steps)
    assert names == [
        ("step-basic", "基本信息"),
        ("step-history", "工作经历"),
        ("step-institution", "执业机构"),
        ("step-documents", "材料"),
        ("step-submit", "提交"),
    ]
    assert 'class="step-todo"><a href="#step-institution">' in steps  # no institution chosen yet
    for anchor, _name in names:
        assert f'id="{anchor}"' in html


def test_the_training_proof_is_asked_for_up_front_with_the_rule_and_the_date(phys_client, world, old_draft):
    html = phys_client.get(edit_url(old_draft)).content.decode()
    notice = html.split('id="two-year-rule"')[1].split("</div>")[0]
    assert world.qualification.obtained_on.isoformat() in notice
    assert "医师执业注册管理办法" in notice and "6个月" in notice
    assert html.index('id="two-year-rule"') < html.index('id="step-basic"')
    # The file chooser is preset to the training proof.
    assert re.search(r'<option value="training_proof" selected>', html)


def test_the_qualification_page_says_the_two_year_rule_applies(phys_client, world, old_draft):
    html = phys_client.get(reverse("physicians:qualification")).content.decode()
    note = html.split(f'id="two-year-{world.qualification.pk}"')[1].split("</p>")[0]
    assert world.qualification.obtained_on.isoformat() in note and "培训" in note


def test_a_recent_qualification_has_no_two_year_note(phys_client, world):
    html = phys_client.get(reverse("physicians:qualification")).content.decode()
    assert "two-year-note" not in html


def test_text_typed_and_a_file_chosen_in_one_submit_are_both_kept(phys_client, world):
    application = world.draft()
    data = form_data(
        application,
        periods=[("2020-09-01", "", "北京大学第一医院", "住院医师")],
        health_status="良好，无传染病",
        upload="1",
    )
    data.update({"doc-kind": Document.Kind.PHOTO, "doc-file": pdf("照片.pdf")})
    response = phys_client.post(edit_url(application), data)
    assert response.status_code == 302 and response["Location"].endswith("#step-documents")
    application.refresh_from_db()
    assert application.health_status == "良好，无传染病"
    assert application.work_periods.get().employer == "北京大学第一医院"
    assert application.documents.get().original_name == "照片.pdf"
    html = phys_client.get(edit_url(application)).content.decode()
    assert "良好，无传染病" in html and "照片.pdf" in html and "北京大学第一医院" in html


def test_a_field_error_keeps_the_file_and_what_was_typed_and_links_to_the_field(phys_client, world):
    application = world.draft()
    data = form_data(
        application,
        periods=[("2030-01-01", "", "北京大学第一医院", "住院医师")],  # in the future
        health_status="良好（已复查）",
        scope="不存在的专业",
        save="1",
    )
    data.update({"doc-kind": Document.Kind.CONTRACT, "doc-file": pdf("合同.pdf")})
    response = phys_client.post(edit_url(application), data)
    html = response.content.decode()
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert 'role="alert"' in html.split('id="error-summary"')[0][-80:]
    assert 'href="#id_scope"' in summary
    assert 'href="#periods"' in summary
    assert "良好（已复查）" in html and "北京大学第一医院" in html  # what was typed is shown again
    assert application.documents.get().original_name == "合同.pdf"  # and the file was kept
    application.refresh_from_db()
    assert application.health_status != "良好（已复查）"  # nothing half-saved


def test_a_bad_file_is_reported_in_the_summary_and_the_typed_text_is_saved(phys_client, world):
    application = world.draft()
    data = form_data(application, health_status="良好（体检）", upload="1")
    data.update({"doc-kind": Document.Kind.PHOTO, "doc-file": pdf("x.exe").__class__("x.exe", b"MZ" + b"\0" * 40)})
    html = phys_client.post(edit_url(application), data).content.decode()
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_doc-file"' in summary
    assert escape(str(services.MSG_FILE_TYPE)) in summary
    application.refresh_from_db()
    assert application.health_status == "良好（体检）" and not application.documents.exists()


def test_upload_without_a_file_says_choose_one(phys_client, world):
    application = world.draft()
    html = phys_client.post(edit_url(application), form_data(application, upload="1")).content.decode()
    assert 'href="#id_doc-file"' in html.split('id="error-summary"')[1]


def test_remove_goes_with_the_form_and_keeps_typed_text(phys_client, world):
    application = world.draft()
    document = services.document_add(
        application=application, actor=world.physician, kind=Document.Kind.PHOTO, file=pdf("p.pdf")
    )
    data = form_data(application, health_status="良好（已删照片）", remove_document=str(document.pk))
    assert phys_client.post(edit_url(application), data).status_code == 302
    application.refresh_from_db()
    assert application.health_status == "良好（已删照片）" and not application.documents.exists()


def test_submitting_without_the_proof_links_the_error_to_the_file_field(phys_client, world, old_draft):
    html = phys_client.post(edit_url(old_draft), form_data(old_draft, submit="1")).content.decode()
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_doc-file"' in summary
    assert escape(str(services.MSG_TRAINING_PROOF_REQUIRED)) in summary
    old_draft.refresh_from_db()
    assert old_draft.state == Application.State.DRAFT


def test_the_proof_sent_with_submit_is_stored_and_the_application_submitted(phys_client, world, old_draft):
    # The two-year rule also asks for page 2's training and assessment line (issue 12).
    data = form_data(old_draft, submit="1", training_assessment="北京市医师培训中心 2026年1月—6月 考核合格")
    data.update({"doc-kind": Document.Kind.TRAINING_PROOF, "doc-file": pdf("培训考核证明.pdf")})
    phys_client.post(edit_url(old_draft), data)
    old_draft.refresh_from_db()
    assert old_draft.state == Application.State.SUBMITTED
    assert old_draft.documents.get().kind == Document.Kind.TRAINING_PROOF


def test_another_physicians_document_cannot_be_removed_through_the_form(client, world, other_physician):
    application = world.draft()
    document = services.document_add(
        application=application, actor=world.physician, kind=Document.Kind.PHOTO, file=pdf("p.pdf")
    )
    other = factories.application_for(
        other_physician, world.institution, qualification=Qualification.objects.get(id_number=other_physician.id_number)
    )
    client.force_login(other_physician)
    response = client.post(edit_url(other), form_data(other, remove_document=str(document.pk)))
    assert response.status_code == 404
    assert application.documents.exists()
