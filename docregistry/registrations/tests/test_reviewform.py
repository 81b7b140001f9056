"""The coded review form as a PDF: pages, text, embedded font, QR codes, the command."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone
from fontTools.ttLib import TTFont

from docregistry.public.tokens import review_form_url
from docregistry.registrations import reviewform
from docregistry.registrations.models import Level
from institutions.tests.pdfcheck import page_texts, pdf_fonts, pdf_pages, pdf_text, qr_codes

FONT = Path(settings.BASE_DIR) / "static" / "fonts" / "NotoSansSC-Subset.ttf"


def flat(text: str) -> str:
    return text.replace(" ", "").replace("\n", "")


# ---- The shipped font ---------------------------------------------------------------


def test_the_shipped_font_covers_every_ideograph_a_name_may_contain():
    cmap = TTFont(FONT)["cmap"].getBestCmap()
    wanted = [
        *range(0x4E00, 0x9FEF + 1),  # CJK Unified Ideographs (all the source font draws)
        *range(0x3000, 0x303F + 1),  # CJK punctuation
        *range(0xFF01, 0xFF5E + 1),  # full-width forms
        *range(0x20, 0x7E + 1),  # ASCII
        0x00B7,  # the middle dot of minority names
    ]
    missing = [f"U+{cp:04X}" for cp in wanted if cp not in cmap]
    assert missing == []


def test_the_shipped_font_is_small_and_licensed():
    # URO, Extension A and the extension characters Noto has (the rest: docregistry/tests/test_every_name_prints.py)
    assert FONT.stat().st_size < 11 * 1024 * 1024
    licence = (FONT.parent / "OFL.txt").read_text()
    assert "SIL OPEN FONT LICENSE" in licence and "Version 1.1" in licence


# ---- The PDF ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_cover_and_four_pages_holding_the_application(world):
    app = world.submitted()
    pdf = reviewform.render_review_form(app)
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) == 5
    text = flat(pdf_text(pdf))
    for expected in (
        "医师执业注册申请审核表",
        app.number,
        "张伟",
        world.physician.id_number,
        world.institution.name,
        world.institution.registration_number,
        world.institution.postcode,
        "内科专业",
        "执业医师",
        "临床",
        "首次注册",
        app.qualification_code,
        "良好",
    ):
        assert expected in text, expected


@pytest.mark.django_db
def test_every_page_carries_the_number_as_text_and_as_a_qr_code(world):
    app = world.submitted()
    pdf = reviewform.render_review_form(app)
    for index, text in enumerate(page_texts(pdf)):
        assert app.number in flat(text)
        assert qr_codes(pdf, index) == [review_form_url(app)]


@pytest.mark.django_db
def test_only_the_shipped_font_is_used_and_it_is_embedded(world):
    # Rare ideographs from the whole block, a minority name's middle dot.
    name = "龘靐齉鿏·艾"
    app = world.submitted(name=name)
    pdf = reviewform.render_review_form(app)
    fonts = pdf_fonts(pdf)
    assert fonts, "no font found"
    assert all("DocRegistry" in font for font in fonts), fonts  # no system fallback font
    assert all(fonts.values()), fonts  # every font program embedded
    assert name in pdf_text(pdf)


@pytest.mark.django_db
def test_dates_are_gregorian_with_arabic_numerals(world):
    app = world.submitted()
    text = flat(pdf_text(reviewform.render_review_form(app)))
    fill = app.fill_date
    assert f"{fill.year}年{fill.month}月{fill.day}日" in text
    obtained = world.qualification.obtained_on
    assert f"{obtained.year}年{obtained.month}月{obtained.day}日" in text


@pytest.mark.django_db
def test_the_practice_certificate_code_is_blank_until_issued(world):
    submitted = world.submitted()
    assert "执业证书编码" in pdf_text(reviewform.render_review_form(submitted))
    assert not submitted.practice_certificate_code
    approved = world.approved()
    assert len(approved.practice_certificate_code) == 15
    text = flat(pdf_text(reviewform.render_review_form(approved)))
    assert approved.practice_certificate_code in text
    assert "同意注册" in text  # the authority's opinion on 第三页


@pytest.mark.django_db
def test_an_assistant_form_shows_the_assistant_date_only(world):
    today = timezone.localdate()
    assistant_on, physician_on = today - datetime.timedelta(days=300), today - datetime.timedelta(days=100)
    app = world.submitted(
        level=Level.ASSISTANT, assistant_qualified_on=assistant_on, physician_qualified_on=physician_on
    )
    text = flat(pdf_text(reviewform.render_review_form(app)))
    assert "执业助理医师" in text
    assert reviewform.chinese_date(assistant_on) in text
    assert reviewform.chinese_date(physician_on) not in text


@pytest.mark.django_db
def test_batch_is_one_pdf_of_five_pages_per_form_in_order(world):
    first = world.submitted()
    second = world.draft(name="李娜")  # a draft has no number yet; the form still renders
    pdf = reviewform.render_review_forms([first, second])
    assert pdf_pages(pdf) == 10
    texts = page_texts(pdf)
    assert first.number in flat(texts[0]) and "李娜" in flat(texts[6])


@pytest.mark.django_db
def test_the_pdf_is_cached_until_the_application_changes(world):
    from docregistry.registrations import services

    app = world.submitted()
    first = reviewform.render_review_form(app)
    assert reviewform.render_review_form(app) is not None
    assert reviewform.render_review_form(app) == first
    app = services.application_approve_by_institution(application=app, actor=world.staff, comment="同意接收")
    assert "同意接收" in pdf_text(reviewform.render_review_form(app))


@pytest.mark.django_db
def test_the_kept_pdf_is_one_file_per_application_in_the_file_storage(world):
    from django.core.files.storage import default_storage

    from docregistry.registrations import rendered, services

    app = world.submitted()
    reviewform.render_review_form(app)
    folder = rendered.path_of(reviewform.cache_key(app)).rsplit("/", 1)[0]
    assert len(default_storage.listdir(folder)[1]) == 1
    app = services.application_approve_by_institution(application=app, actor=world.staff, comment="同意接收")
    reviewform.render_review_form(app)
    (kept,) = default_storage.listdir(folder)[1]  # the older version is gone
    assert rendered.path_of(reviewform.cache_key(app)).endswith(kept)
    assert rendered.get("reviewform:v0:1:1:nothing") is None


# ---- The command --------------------------------------------------------------------


@pytest.mark.django_db
def test_render_review_form_command_writes_the_same_pdf(world, tmp_path):
    app = world.submitted()
    out = tmp_path / "forms" / "form.pdf"
    call_command("render_review_form", app.number.replace("-", ""), "--output", str(out))
    pdf = out.read_bytes()
    assert pdf_pages(pdf) == 5
    assert flat(pdf_text(pdf)) == flat(pdf_text(reviewform.render_review_form(app)))


@pytest.mark.django_db
def test_render_review_form_command_rejects_an_unknown_number(world, tmp_path):
    with pytest.raises(CommandError, match="No application numbered"):
        call_command("render_review_form", "2026-999999-000001", "--output", str(tmp_path / "x.pdf"))


@pytest.mark.django_db
def test_a_larger_batch_rendered_in_parallel_keeps_the_order(world, settings):
    from tests.factories import PhysicianFactory, application_for

    settings.REVIEW_FORM_WORKERS = 2
    names = ["赵一", "钱二", "孙三", "李四", "周五"]
    apps = [application_for(PhysicianFactory(real_name=n), world.institution) for n in names]
    pdf = reviewform.render_review_forms(apps)
    texts = page_texts(pdf)
    assert len(texts) == 25
    assert [name for i, name in enumerate(names) if name in flat(texts[5 * i + 1])] == names
    # and every form is now cached: the same batch again is the same document
    assert pdf_text(reviewform.render_review_forms(apps)) == pdf_text(pdf)
    # each form was cut out of its chunk and cached on its own, five pages apiece
    from docregistry.registrations import rendered

    for app in apps:
        assert pdf_pages(rendered.get(reviewform.cache_key(app))) == 5


@pytest.mark.django_db
def test_a_change_renders_the_form_in_the_background_when_prerendering_is_on(
    world, settings, django_capture_on_commit_callbacks
):
    from docregistry.registrations import rendered, services

    settings.REVIEW_FORM_PRERENDER = True
    with django_capture_on_commit_callbacks(execute=True):
        app = services.application_submit(application=world.draft(), actor=world.physician)
    cached = rendered.get(reviewform.cache_key(app))
    assert cached is not None and app.number in flat(pdf_text(cached))
    with django_capture_on_commit_callbacks(execute=True):
        app = services.application_approve_by_institution(application=app, actor=world.staff, comment="同意接收")
    assert "同意接收" in pdf_text(rendered.get(reviewform.cache_key(app)))


@pytest.mark.django_db
def test_the_batch_task_caches_every_form_and_skips_drafts(world):
    from docregistry.registrations import rendered, services
    from docregistry.registrations.tasks import prerender_review_forms
    from tests.factories import PhysicianFactory, application_for

    apps = [world.submitted()]
    for name in ["赵一", "钱二"]:
        physician = PhysicianFactory(real_name=name)
        apps.append(
            services.application_submit(application=application_for(physician, world.institution), actor=physician)
        )
    draft = world.draft()
    assert prerender_review_forms.delay([a.pk for a in apps] + [draft.pk]).get() == 3
    for app in apps:
        app.refresh_from_db()
        assert pdf_pages(rendered.get(reviewform.cache_key(app))) == 5
