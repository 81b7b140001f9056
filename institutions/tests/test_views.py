"""The institution portal through HTTP: what hospital HR staff see and can do."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from docregistry.public.tokens import review_form_url
from docregistry.registrations import services
from docregistry.registrations.forms import MSG_DATE_RANGE
from docregistry.registrations.models import Application, StatusChange
from docregistry.registrations.services import MSG_REASON_REQUIRED
from institutions.tests.pdfcheck import page_texts, pdf_pages, pdf_text, qr_codes
from tests.factories import (
    PASSWORD,
    InstitutionFactory,
    PhysicianFactory,
    StaffFactory,
    application_for,
)
from tests.otp import pass_second_factor

State = Application.State


def submit(physician, institution, **fields):
    app = application_for(physician, institution, **fields)
    return services.application_submit(application=app, actor=physician)


def other_physician(name="李娜"):
    physician = PhysicianFactory(real_name=name)
    return physician


@pytest.fixture
def client_staff(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def foreign(world):
    """An application addressed to another institution."""
    physician = other_physician("王芳")
    return submit(physician, InstitutionFactory(name="另一家医院"))


def list_numbers(response) -> list[str]:
    return [row[0].number for row in response.context["rows"]]


def link(response, rel: str) -> str:
    """The href of the page's ``rel="next"``/``"prev"`` link, unescaped."""
    found = re.search(rf'href="([^"]+)" rel="{rel}"', response.content.decode())
    assert found, f"no {rel} link"
    return html.unescape(found.group(1))


# ---- Account ----------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_log_in_with_the_issued_password_and_must_change_it_first(client, world):
    staff = StaffFactory(institution=world.institution, username="hr_0001", must_change_password=True)
    response = client.post(reverse("institutions:login"), {"username": "hr_0001", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("twofactor:setup"))  # two-factor first
    pass_second_factor(client, staff)
    assert client.get(reverse("institutions:index")).url == reverse("institutions:password_change")

    response = client.post(
        reverse("institutions:password_change"),
        {"old_password": PASSWORD, "new_password1": "Hospital-HR-2026!", "new_password2": "Hospital-HR-2026!"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("institutions:index")
    staff.refresh_from_db()
    assert not staff.must_change_password
    assert client.get(reverse("institutions:index")).status_code == 200


@pytest.mark.django_db
def test_a_physician_cannot_sign_in_to_the_institution_portal(client, world):
    response = client.post(reverse("institutions:login"), {"username": world.physician.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_other_roles_are_sent_back_to_their_own_portal(client, world):
    client.force_login(world.physician)
    response = client.get(reverse("institutions:index"))
    assert response.status_code == 302
    assert response.url == reverse("physicians:index")


# ---- The processing list ------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_only_own_applications_with_masked_id_numbers(client_staff, world, foreign):
    mine = world.submitted()
    response = client_staff.get(reverse("institutions:index"))
    assert list_numbers(response) == [mine.number]
    html = response.content.decode()
    id_number = world.physician.id_number
    assert id_number[:6] + "********" + id_number[-4:] in html
    assert id_number not in html
    assert foreign.number not in html
    assert "医师申请业务办理" in html  # the page speaks Chinese by default


@pytest.mark.django_db
def test_drafts_are_never_listed(client_staff, world):
    world.draft()
    assert list_numbers(client_staff.get(reverse("institutions:index"))) == []


@pytest.mark.django_db
def test_list_is_oldest_waiting_first_and_paginated(client_staff, world):
    numbers = []
    for i in range(23):
        app = submit(other_physician(), world.institution)
        Application.objects.filter(pk=app.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=30 - i))
        numbers.append(app.number)
    first = client_staff.get(reverse("institutions:index"))
    assert list_numbers(first) == numbers[:20]
    assert "20 applications" not in first.content.decode() and "23" in first.content.decode()
    second = client_staff.get(reverse("institutions:index") + link(first, "next"))
    assert list_numbers(second) == numbers[20:]
    assert 'rel="next"' not in second.content.decode()
    assert list_numbers(client_staff.get(reverse("institutions:index") + link(second, "prev"))) == numbers[:20]
    # the page links keep the search
    filtered = client_staff.get(reverse("institutions:index"), {"state": "submitted"})
    assert link(filtered, "next").startswith("?state=submitted&after=")
    # a page link made by hand or gone stale shows the first page rather than an error
    assert list_numbers(client_staff.get(reverse("institutions:index"), {"after": "not-a-cursor"})) == numbers[:20]


@pytest.fixture
def three(world):
    """Three applications differing in every searchable way."""
    zhang = world.submitted()  # 张伟, first registration, submitted today
    li = submit(other_physician("李娜"), world.institution)
    Application.objects.filter(pk=li.pk).update(type=Application.Type.CHANGE)  # as if it changed a registration
    li.refresh_from_db()
    wang_physician = other_physician("王芳")
    wang = submit(wang_physician, world.institution)
    Application.objects.filter(pk=wang.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=40))
    services.application_return_by_institution(application=li, actor=world.staff, comment="照片不清晰")
    return {"zhang": zhang, "li": li, "wang": wang, "wang_physician": wang_physician}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "李"}, ["li"]),
        ({"type": "change"}, ["li"]),
        ({"state": "returned"}, ["li"]),
        ({"state": "submitted"}, ["wang", "zhang"]),
        ({"type": "first", "state": "submitted", "name": "张"}, ["zhang"]),
        ({"type": "first", "name": "李"}, []),
    ],
)
def test_search_by_single_and_combined_conditions(client_staff, three, params, expected):
    response = client_staff.get(reverse("institutions:index"), params)
    assert response.status_code == 200
    assert list_numbers(response) == [three[key].number for key in expected]


@pytest.mark.django_db
def test_search_by_id_number_application_number_and_dates(client_staff, three):
    wang = three["wang"]
    id_number = three["wang_physician"].id_number
    url = reverse("institutions:index")
    assert list_numbers(client_staff.get(url, {"id_number": id_number.lower()})) == [wang.number]
    assert list_numbers(client_staff.get(url, {"number": wang.number.replace("-", "")})) == [wang.number]
    today = timezone.localdate()
    old = today - datetime.timedelta(days=40)
    assert list_numbers(client_staff.get(url, {"submitted_to": old.isoformat()})) == [wang.number]
    assert set(list_numbers(client_staff.get(url, {"submitted_from": today.isoformat()}))) == {
        three["zhang"].number,
        three["li"].number,
    }
    both = {"submitted_from": old.isoformat(), "submitted_to": old.isoformat(), "name": "王"}
    assert list_numbers(client_staff.get(url, both)) == [wang.number]


@pytest.mark.django_db
def test_a_reversed_date_range_is_explained_and_finds_nothing(client_staff, three):
    today = timezone.localdate()
    response = client_staff.get(
        reverse("institutions:index"),
        {"submitted_from": today.isoformat(), "submitted_to": (today - datetime.timedelta(days=3)).isoformat()},
    )
    assert list_numbers(response) == []
    with translation.override("zh-hans"):
        assert str(MSG_DATE_RANGE) in response.content.decode()


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(client_staff, world, django_assert_num_queries):
    world.submitted()
    url = reverse("institutions:index")
    client_staff.get(url)  # warm up the session
    with django_assert_num_queries(7) as few:  # one is the session's two-factor device (django-otp)
        client_staff.get(url)
    for _ in range(12):
        submit(other_physician(), world.institution)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client_staff.get(url)
    assert len(response.context["rows"]) == 13


# ---- Scoping: another institution's application is a 404 everywhere ------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["application", "preview", "review_form"])
def test_another_institutions_application_is_not_found(client_staff, foreign, name):
    assert client_staff.get(reverse(f"institutions:{name}", args=[foreign.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["approve", "return"])
def test_another_institutions_application_cannot_be_decided(client_staff, foreign, name):
    response = client_staff.post(reverse(f"institutions:{name}", args=[foreign.pk]), {"comment": "x"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == State.SUBMITTED


@pytest.mark.django_db
def test_batch_print_with_another_institutions_application_is_not_found(client_staff, world, foreign):
    mine = world.submitted()
    response = client_staff.get(reverse("institutions:batch_print"), {"pk": [mine.pk, foreign.pk]})
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_missing_application_is_not_found_either(client_staff, world):
    assert client_staff.get(reverse("institutions:application", args=[999999])).status_code == 404


# ---- The review window: approve and return -------------------------------------------


@pytest.mark.django_db
def test_review_window_shows_the_whole_application(client_staff, world):
    app = world.submitted(remarks="曾在社区卫生服务中心轮转")
    app.work_periods.create(starts_on=datetime.date(2018, 9, 1), employer="北京大学第一医院", position="住院医师")
    response = client_staff.get(reverse("institutions:application", args=[app.pk]))
    html = response.content.decode()
    for text in (
        app.number,
        "张伟",
        world.physician.id_number,
        "内科专业",
        "北京大学第一医院",
        "曾在社区卫生服务中心轮转",
    ):
        assert text in html
    assert 'id="decision"' in html
    assert "同意" in html and "退回" in html


@pytest.mark.django_db
def test_approve_sends_the_application_to_the_authority(client_staff, world):
    app = world.submitted()
    response = client_staff.post(
        reverse("institutions:approve", args=[app.pk]), {"comment": ""}, REMOTE_ADDR="10.1.2.3", follow=True
    )
    app.refresh_from_db()
    assert app.state == State.INSTITUTION_APPROVED
    assert app.institution_opinion == "同意"
    change = StatusChange.objects.filter(application=app).last()
    assert (change.actor, change.to_state, change.ip_address) == (world.staff, State.INSTITUTION_APPROVED, "10.1.2.3")
    html = response.content.decode()
    assert "已提交卫生健康行政部门" in html
    assert 'id="decision"' not in html  # nothing left to decide


@pytest.mark.django_db
def test_return_needs_a_reason(client_staff, world):
    app = world.submitted()
    response = client_staff.post(reverse("institutions:return", args=[app.pk]), {"comment": "  "})
    assert response.status_code == 400
    app.refresh_from_db()
    assert app.state == State.SUBMITTED
    assert "这个字段是必填项" in response.content.decode()


@pytest.mark.django_db
def test_return_sends_it_back_to_the_physician_with_the_reason(client_staff, world):
    app = world.submitted()
    client_staff.post(reverse("institutions:return", args=[app.pk]), {"comment": "工作经历不完整"})
    app.refresh_from_db()
    assert app.state == State.RETURNED
    assert StatusChange.objects.filter(application=app).last().comment == "工作经历不完整"
    assert str(MSG_REASON_REQUIRED)  # the service enforces the same rule for other callers


@pytest.mark.django_db
def test_a_second_staff_member_gets_already_handled_and_nothing_changes(client, world):
    app = world.submitted()
    colleague = StaffFactory(institution=world.institution)
    first, second = client, client.__class__()
    first.force_login(world.staff)
    second.force_login(colleague)
    second.get(reverse("institutions:application", args=[app.pk]))  # both have the window open
    first.post(reverse("institutions:approve", args=[app.pk]), {"comment": "同意"})
    changes = StatusChange.objects.filter(application=app).count()

    response = second.post(reverse("institutions:return", args=[app.pk]), {"comment": "材料不全"}, follow=True)
    app.refresh_from_db()
    assert app.state == State.INSTITUTION_APPROVED
    assert StatusChange.objects.filter(application=app).count() == changes
    with translation.override("zh-hans"):
        expected = str(services.MSG_ALREADY_HANDLED % {"state": app.get_state_display()})
    assert expected in response.content.decode()


# ---- Print preview and PDFs ---------------------------------------------------------


@pytest.mark.django_db
def test_print_preview_shows_the_same_form_as_the_pdf(client_staff, world):
    app = world.submitted()
    preview = client_staff.get(reverse("institutions:preview", args=[app.pk])).content.decode()
    pdf = client_staff.get(reverse("institutions:review_form", args=[app.pk])).content
    text = pdf_text(pdf).replace(" ", "")
    for expected in (
        "医师执业注册申请审核表",
        app.number,
        "张伟",
        world.physician.id_number,
        world.institution.name,
        world.institution.registration_number,
        "内科专业",
        "执业医师",
        "临床",
        app.qualification_code,
        "第四页",
        "本表连封面共5页",
    ):
        assert expected in text
        assert expected.replace("本表连封面共5页", "本表连封面共 5 页") in preview
    assert preview.count('class="rf-page"') == 5


@pytest.mark.django_db
def test_review_form_pdf_over_http(client_staff, world):
    app = world.submitted()
    response = client_staff.get(reverse("institutions:review_form", args=[app.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert app.number in response["Content-Disposition"]
    assert pdf_pages(response.content) == 5
    assert qr_codes(response.content, 4) == [review_form_url(app)]


@pytest.mark.django_db
def test_the_pdf_is_reused_until_the_application_changes(client_staff, world):
    app = world.submitted()
    url = reverse("institutions:review_form", args=[app.pk])
    first = client_staff.get(url).content
    assert client_staff.get(url).content == first  # from the cache: byte for byte
    client_staff.post(reverse("institutions:approve", args=[app.pk]), {"comment": "同意，材料齐全"})
    after = client_staff.get(url).content
    assert after != first
    assert "同意，材料齐全" in pdf_text(after)


@pytest.mark.django_db
def test_batch_print_gives_one_pdf_with_every_selected_form(client_staff, world):
    apps = [world.submitted()] + [submit(other_physician(n), world.institution) for n in ("李娜", "王芳")]
    response = client_staff.get(reverse("institutions:batch_print"), {"pk": [a.pk for a in apps]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf_pages(pdf) == 15
    text = pdf_text(pdf)
    for app in apps:
        assert app.number in text and app.name in text
    assert qr_codes(pdf, 5) == [review_form_url(apps[1])]  # first page of the second form


def documents_of(pdf: bytes) -> list[int]:
    """The pages of each document a batch PDF was put together from, in order.

    WeasyPrint embeds its font subset once per document and every page of it refers to that
    one object; the pages of the next document refer to another.
    """
    import io
    from itertools import groupby

    from pypdf import PdfReader

    fonts = [
        tuple(sorted(ref.idnum for ref in page["/Resources"]["/Font"].values()))
        for page in PdfReader(io.BytesIO(pdf)).pages
    ]
    return [len(list(pages)) for _font, pages in groupby(fonts)]


@pytest.mark.django_db
def test_batch_print_of_23_forms_lays_them_out_10_to_a_document(client_staff, world, settings):
    from docregistry.registrations import reviewform

    settings.REVIEW_FORM_WORKERS = 2  # the batch is shared by two render processes, in documents of at most 10
    names = [f"测试{chr(0x4E00 + n)}" for n in range(23)]
    apps = [submit(other_physician(name), world.institution) for name in names]
    response = client_staff.get(reverse("institutions:batch_print"), {"pk": [a.pk for a in apps]})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf_pages(pdf) == 23 * 5
    assert documents_of(pdf) == [10 * 5, 10 * 5, 3 * 5]  # 23 forms: 3 documents, none over FORMS_PER_DOCUMENT
    assert reviewform.FORMS_PER_DOCUMENT == 10
    texts = page_texts(pdf)
    assert [name for i, name in enumerate(names) if name in texts[5 * i + 1].replace(" ", "")] == names  # in order


@pytest.mark.django_db
def test_batch_print_with_nothing_selected_says_so(client_staff, world):
    world.submitted()
    response = client_staff.get(reverse("institutions:batch_print"), follow=True)
    assert "请至少选择一份申请" in response.content.decode()


@pytest.mark.django_db
def test_a_long_list_says_more_than_the_cap_instead_of_counting_every_row(client_staff, world, monkeypatch):
    from docregistry.registrations import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    for _ in range(3):
        submit(other_physician(), world.institution)
    html = client_staff.get(reverse("institutions:index")).content.decode()
    assert "超过 2 份申请" in html
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    assert "共 3 份申请" in client_staff.get(reverse("institutions:index")).content.decode()
