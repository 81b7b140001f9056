"""The coded review form 《医师执业注册申请审核表》 as a PDF rendered by WeasyPrint.

One Django template (``reviewform/_form_pages.html``) makes the four pages; the
PDF (``reviewform/review_form.html``) and the print preview page include it, so
they always show the same. The form is a government form and is always in
Chinese, whatever the interface language.

Chinese text uses only the CJK fonts shipped in ``static/fonts`` (built by
``scripts/subset_font.py``, declared by ``docregistry/fonts.py``; every hanzi of
GB 18030-2022), so the PDF looks the same on a machine without Chinese fonts.
WeasyPrint subsets them with HarfBuzz (``libharfbuzz-subset0``).

A rendered PDF is cached by (application, version, last change) and re-used
until the application changes.
"""

import atexit
import datetime
import functools
import hashlib
import io
import multiprocessing
import os
import threading
from collections.abc import Iterable
from pathlib import Path

import segno
from django.conf import settings
from django.core.cache import cache
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone, translation

from docregistry import fonts
from docregistry.public.tokens import review_form_url

from .choices import Category, Level
from .models import Application

FONT_FILE = "fonts/NotoSansSC-Subset.ttf"
FONT_FAMILY = "DocRegistry Sans SC"
TEMPLATE = "reviewform/review_form.html"
STYLESHEET = "reviewform/print.css"
UA_STYLESHEET = "reviewform/ua.css"
PAGES = ("封面", "基本情况", "工作经历、健康状况及执业范围", "审核意见及执业证书编码")
MIN_PARALLEL = 4  # fewer forms to render than this are rendered in this process, one by one
# A batch is laid out at most this many forms to a document: longer documents make every form
# dearer (WeasyPrint's layout grows faster than the page count; 25 forms cost 35 % more each).
FORMS_PER_DOCUMENT = 10
WORK_ROWS = 8  # rows of the work history table; a longer history keeps its most recent periods
CACHE_PREFIX = "reviewform:v2"  # v2: the QR holds the verification URL
CACHE_SECONDS = 7 * 24 * 3600

# The form is always Chinese; these are the printed words for the stored values,
# so the PDF does not depend on a compiled translation catalogue.
LEVEL_ZH = {Level.PHYSICIAN: "执业医师", Level.ASSISTANT: "执业助理医师"}
CATEGORY_ZH = {
    Category.CLINICAL: "临床",
    Category.TCM: "中医",
    Category.DENTAL: "口腔",
    Category.PUBLIC_HEALTH: "公共卫生",
}
_render_lock = threading.Lock()


def font_path() -> Path:
    return Path(settings.BASE_DIR) / "static" / FONT_FILE


def chinese_date(value: datetime.date | None) -> str:
    """``2026年3月5日``: Gregorian, Arabic numerals, as the form asks."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def _id_facts(id_number: str) -> tuple[str, str]:
    """Sex and birth date read from an 18-digit resident ID number (GB 11643)."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return "", ""
    sex = "男" if int(id_number[16]) % 2 else "女"
    try:
        born = datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return sex, ""
    return sex, chinese_date(born)


@functools.lru_cache(maxsize=512)
def qr_data_uri(text: str) -> str:
    """A QR code (PNG data URI) of ``text``: the form's verification URL, printed on every page."""
    return segno.make_qr(text, error="m").png_data_uri(scale=8, border=2)


def form_context(application: Application) -> dict:
    """Everything the form prints, as strings, for one application."""
    institution = application.institution
    id_number = application.physician.id_number if application.physician_id else ""
    sex, born = _id_facts(id_number)
    periods = list(application.work_periods.all())[-WORK_ROWS:]
    rows = [
        {
            "starts_on": chinese_date(p.starts_on),
            "ends_on": chinese_date(p.ends_on) if p.ends_on else "至今",
            "employer": p.employer,
            "position": p.position,
        }
        for p in periods
    ]
    rows += [{}] * (WORK_ROWS - len(rows))
    title = application.title
    if application.teaching_title:
        title = f"{title}（{application.teaching_title}）" if title else application.teaching_title
    number = application.number or ""
    return {
        "pk": application.pk,
        "number": number,
        "qr": qr_data_uri(review_form_url(application)),
        "pages": PAGES,
        "type": application.kind.title_zh,
        "name": application.name,
        "sex": sex,
        "birth_date": born,
        "id_number": id_number,
        "level": LEVEL_ZH.get(application.level, application.level),
        "category": CATEGORY_ZH.get(application.category, application.category),
        "qualification_code": application.qualification_code,
        "practice_certificate_code": application.practice_certificate_code,
        "fill_date": chinese_date(application.fill_date),
        "education": application.education,
        "title": title,
        "institution_name": institution.name if institution else "",
        "institution_registration_number": institution.registration_number if institution else "",
        "institution_address": institution.address if institution else "",
        "institution_postcode": institution.postcode if institution else "",
        "assistant_qualified_on": (
            chinese_date(application.assistant_qualified_on) if application.level == Level.ASSISTANT else ""
        ),
        "physician_qualified_on": (
            chinese_date(application.physician_qualified_on) if application.level == Level.PHYSICIAN else ""
        ),
        "work_periods": rows,
        "health_status": application.health_status,
        "assessment_institution": application.assessment_institution,
        "scope": application.scope,
        "remarks": application.remarks,
        "institution_opinion": application.institution_opinion,
        "authority_opinion": application.authority_opinion,
    }


def review_form_html(applications: Iterable[Application]) -> str:
    """The HTML WeasyPrint turns into the PDF (one or several forms)."""
    with translation.override("zh-hans"):
        forms = [form_context(a) for a in applications]
        return render_to_string(TEMPLATE, {"forms": forms})


@functools.lru_cache(maxsize=1)
def _weasyprint_setup():
    """Parsed once per process: the font configuration (the shipped font registered once) and the stylesheet."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    css = CSS(string=render_to_string(STYLESHEET, {"font_faces": fonts.pdf_font_faces()}), font_config=font_config)
    ua = CSS(string=render_to_string(UA_STYLESHEET))
    return font_config, css, ua


def release() -> None:
    """Drop the per-process WeasyPrint objects (their temporary font folder goes with them)."""
    _weasyprint_setup.cache_clear()


atexit.register(release)


def _write_pdf(html: str) -> bytes:
    with _render_lock:  # Pango and Fontconfig objects are shared: one render at a time per process
        return _write_pdf_unlocked(html)


def _write_pdf_unlocked(html: str) -> bytes:
    from weasyprint import HTML

    font_config, css, ua = _weasyprint_setup()

    class FormHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [ua]

    document = FormHTML(string=html, base_url=str(settings.BASE_DIR)).render(stylesheets=[css], font_config=font_config)
    return document.write_pdf()


def render_workers() -> int:
    """Processes a batch may render in: ``REVIEW_FORM_WORKERS`` (1 turns it off), else the CPUs, at most 4."""
    if settings.REVIEW_FORM_WORKERS is not None:
        return max(1, settings.REVIEW_FORM_WORKERS)
    return max(1, min(4, os.cpu_count() or 1))


def _write_pdfs(jobs: list, render=_write_pdf_unlocked) -> list:
    """Render several documents, in parallel worker processes when there are enough of them.

    The workers are forked while this process holds the render lock, so no thread is
    half-way through a render when they are copied; they receive HTML and return PDF
    bytes and never touch the database.
    """
    workers = min(render_workers(), len(jobs))
    serial = (
        workers < 2
        or "fork" not in multiprocessing.get_all_start_methods()
        or multiprocessing.current_process().daemon  # e.g. a Celery prefork worker may not have children
    )
    if serial:
        with _render_lock:
            return [render(job) for job in jobs]
    with _render_lock:
        _weasyprint_setup()  # the children inherit the font configuration and the parsed stylesheets
        pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        return pool.map(render, jobs, chunksize=1)
    finally:
        pool.close()
        pool.join()


def _write_chunk(job: tuple[str, int]) -> tuple[bytes, list[bytes] | None]:
    """Render ``count`` forms laid out in one document; return it and each form cut out of it."""
    html, count = job
    pdf = _write_pdf_unlocked(html)
    return pdf, _split_forms(pdf, count)


def _split_forms(pdf: bytes, count: int) -> list[bytes] | None:
    """Cut a PDF of ``count`` forms into one PDF per form (four pages each); None if the pages don't add up."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    if len(reader.pages) != len(PAGES) * count:
        return None
    forms = []
    for index in range(count):
        writer = PdfWriter()
        for page in reader.pages[index * len(PAGES) : (index + 1) * len(PAGES)]:
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
        forms.append(out.getvalue())
    return forms


def cache_key(application: Application) -> str:
    stamp = application.updated_at.isoformat() if application.updated_at else ""
    digest = hashlib.sha1(f"{application.pk}:{application.version}:{stamp}".encode(), usedforsecurity=False)
    return f"{CACHE_PREFIX}:{application.pk}:{application.version}:{digest.hexdigest()[:12]}"


def render_review_form(application: Application, *, use_cache: bool = True) -> bytes:
    """The four-page PDF of one application, re-used until the application changes."""
    key = cache_key(application)
    if use_cache:
        cached = cache.get(key)
        if cached is not None:
            return cached
    pdf = _write_pdf(review_form_html([application]))
    if use_cache:
        cache.set(key, pdf, CACHE_SECONDS)
    return pdf


def render_review_forms(applications: Iterable[Application]) -> bytes:
    """One PDF with the forms of several applications, four pages each, in the order given.

    Cached forms are re-used. When none is cached, the forms are laid out several to a
    document (fonts and styles set up once per document rather than per form), at most
    ``FORMS_PER_DOCUMENT`` to a document, spread over the render processes, and each form is
    then cut out and cached; otherwise the missing forms are rendered one by one, in parallel
    when there are several.
    """
    from pypdf import PdfWriter

    applications = list(applications)
    if len(applications) == 1:
        return render_review_form(applications[0])
    prefetch_related_objects(applications, "work_periods")
    keys = [cache_key(a) for a in applications]
    pdfs = cache.get_many(keys)
    missing = [(key, a) for key, a in zip(keys, applications, strict=True) if key not in pdfs]
    if len(missing) == len(applications) and len(applications) >= MIN_PARALLEL:
        size = min(-(-len(applications) // render_workers()), FORMS_PER_DOCUMENT)
        chunks = [applications[i : i + size] for i in range(0, len(applications), size)]
        rendered = _write_pdfs([(review_form_html(chunk), len(chunk)) for chunk in chunks], render=_write_chunk)
        parts = [pdf for pdf, _forms in rendered]
        for chunk, (_pdf, forms) in zip(chunks, rendered, strict=True):
            forms = forms or []  # a form that ran over four pages is not cached
            cache.set_many({cache_key(a): form for a, form in zip(chunk, forms, strict=False)}, CACHE_SECONDS)
    else:
        htmls = [review_form_html([a]) for _key, a in missing]
        rendered = _write_pdfs(htmls) if len(htmls) >= MIN_PARALLEL else [_write_pdf(html) for html in htmls]
        fresh = {key: pdf for (key, _a), pdf in zip(missing, rendered, strict=True)}
        cache.set_many(fresh, CACHE_SECONDS)
        pdfs.update(fresh)
        parts = [pdfs[key] for key in keys]
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    writer.add_metadata({"/Title": "医师执业注册申请审核表", "/Producer": "docregistry (WeasyPrint, pypdf)"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_filename(applications: list[Application]) -> str:
    if len(applications) == 1 and applications[0].number:
        return f"review-form-{applications[0].number}.pdf"
    return f"review-forms-{timezone.localdate():%Y%m%d}-{len(applications)}.pdf"
