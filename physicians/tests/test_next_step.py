"""What the physician is told happens next, and — once the institution confirmed — what to bring where."""

import pytest
from django.urls import reverse

from docregistry.public.tokens import review_form_url
from docregistry.registrations import selectors, services
from docregistry.registrations.checklists import checklist_for
from docregistry.registrations.presentation import decision_clock
from institutions.tests.pdfcheck import pdf_text, qr_codes
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(world):
    world.authority.office_address = "北京市朝阳区日坛北路33号 2层12号窗口"
    world.authority.opening_hours = "周一至周五 9:00–12:00、13:30–17:00"
    world.authority.phone = "010-6509 3000"
    world.authority.save()
    return world.authority


def detail(client, application):
    response = client.get(reverse("physicians:application_detail", args=[application.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_submitted_application_says_the_institution_acts_next(phys_client, world):
    page = detail(phys_client, world.submitted())
    card = page.split('id="next-step"')[1].split("</section>")[0]
    assert "接下来" in card and "下一步" in card
    assert "下一页" not in card  # the pagination's "Next" (下一页) is another word
    assert f"{world.institution.name}人事部门" in page or world.institution.name in page
    assert 'id="materials"' not in page  # nothing to bring before the institution confirms
    assert 'id="receipt-link"' not in page


def test_once_confirmed_the_physician_sees_materials_office_deadline_and_receipt(phys_client, world, office):
    application = world.institution_approved()
    page = detail(phys_client, application)
    materials = page.split('id="materials"')[1].split("</ol>")[0]
    for item in checklist_for(application):
        assert item.label in materials
    assert page.count('id="paper-checklist"') == 1  # one list of materials, in "What happens next"
    assert 'id="paper-checklist"' in page.split('id="next-step"')[1].split("</section>")[0]
    assert office.office_address in page
    assert office.opening_hours in page
    assert 'href="tel:010-65093000"' in page
    assert "受理" in page.split('id="next-deadline"')[1].split("</dd>")[0]  # the 20 days start at acceptance
    assert reverse("physicians:receipt", args=[application.pk]) in page


def test_once_the_authority_accepts_the_page_gives_the_decision_date(phys_client, world, office):
    application = services.application_accept_by_authority(application=world.institution_approved(), actor=world.clerk)
    page = detail(phys_client, application)
    clock = decision_clock(application)
    assert clock["deadline"].isoformat() in page.split('id="next-deadline"')[1].split("</dd>")[0]
    pdf = phys_client.get(reverse("physicians:receipt_pdf", args=[application.pk])).content
    assert reverse_date(clock["deadline"]) in pdf_text(pdf).replace(" ", "")


def reverse_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_without_office_details_the_page_says_they_are_not_published(phys_client, world):
    page = detail(phys_client, world.institution_approved())
    assert "尚未公布" in page


def test_the_most_specific_authority_is_the_one_named(world):
    city = factories.AuthorityFactory(name="北京市卫生健康委员会", region_id="110100")
    assert selectors.deciding_authority(world.institution) == world.authority
    assert selectors.deciding_authority(factories.InstitutionFactory(region_id="110108")) == city
    assert selectors.deciding_authority(factories.InstitutionFactory(region_id="120000")) is None


def test_every_state_names_who_acts(world):
    from docregistry.registrations.presentation import next_step

    draft = world.draft()
    assert str(next_step(draft).who) == "您本人"
    submitted = world.submitted()
    assert world.institution.name in next_step(submitted).who
    confirmed = services.application_approve_by_institution(application=submitted, actor=world.staff)
    step = next_step(confirmed, authority=world.authority)
    assert step.bring_materials and world.authority.name in step.what and "医师法第十三条" in step.deadline


def test_receipt_page_and_pdf(phys_client, world, office):
    application = world.institution_approved()
    page = phys_client.get(reverse("physicians:receipt", args=[application.pk])).content.decode()
    assert application.number in page and office.office_address in page
    response = phys_client.get(reverse("physicians:receipt_pdf", args=[application.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content).replace(" ", "").replace("\n", "")
    for expected in ("申请回执", application.number, "首次注册", world.institution.name, world.authority.name):
        assert expected.replace(" ", "") in text
    assert office.office_address.replace(" ", "") in text
    for item in checklist_for(application):
        assert item.label_zh.replace(" ", "") in text
    assert qr_codes(response.content) == [review_form_url(application)]


def test_the_scanned_receipt_opens_the_application_for_the_clerk(client, world):
    application = world.institution_approved()
    client.force_login(world.clerk)
    response = client.get(reverse("authority:open"), {"number": review_form_url(application)})
    assert response.status_code == 302 and response["Location"].endswith(f"/applications/{application.pk}/")


def test_no_receipt_before_confirmation_nor_for_another_physician(phys_client, client, world, other_physician):
    submitted = world.submitted()
    assert phys_client.get(reverse("physicians:receipt", args=[submitted.pk])).status_code == 404
    assert phys_client.get(reverse("physicians:receipt_pdf", args=[submitted.pk])).status_code == 404
    confirmed = services.application_approve_by_institution(application=submitted, actor=world.staff)
    client.force_login(other_physician)
    assert client.get(reverse("physicians:receipt", args=[confirmed.pk])).status_code == 404
    assert client.get(reverse("physicians:receipt_pdf", args=[confirmed.pk])).status_code == 404


def test_the_receipt_is_rendered_once_for_what_it_prints(phys_client, world, office, monkeypatch):
    from django.core.files.storage import default_storage

    from docregistry.registrations import receipt

    renders = []
    render = receipt._render
    monkeypatch.setattr(receipt, "_render", lambda context: renders.append(context) or render(context))
    application = world.institution_approved()
    url = reverse("physicians:receipt_pdf", args=[application.pk])
    first = phys_client.get(url).content
    assert phys_client.get(url).content == first
    assert len(renders) == 1  # the second download is the kept file

    office.office_address = "北京市东城区新址 1层3号窗口"
    office.save()
    text = pdf_text(phys_client.get(url).content).replace(" ", "")
    assert "新址1层3号窗口" in text and len(renders) == 2  # an edit of what it prints renders a new one
    folder = f"rendered/receipt/v1/{application.pk}"
    assert len(default_storage.listdir(folder)[1]) == 1  # and the older one is gone
