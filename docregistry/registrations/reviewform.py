"""The coded review form 《医师执业注册申请审核表》 as a PDF rendered by WeasyPrint.

One Django template (``reviewform/_form_pages.html``) makes the pages as the seed's
filling guide names them (Q9): the cover (封面), then 第一页 … 第四页, with a continuation
of 第二页 when the work history is longer than its table. The PDF
(``reviewform/review_form.html``) and the print preview page include it, so they always
show the same. The form is a government form and is always in Chinese, whatever the
interface language.

Chinese text uses only the CJK fonts shipped in ``static/fonts`` (built by
``scripts/subset_font.py``, declared by ``docregistry/fonts.py``; every hanzi of
GB 18030-2022), so the PDF looks the same on a machine without Chinese fonts.
WeasyPrint subsets them with HarfBuzz (``libharfbuzz-subset0``).

A rendered PDF is kept by (application, version, last change) in the site's file
storage (``rendered.py``: object storage or the media folder, shared by every node)
and re-used until the application changes.
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
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone, translation

from docregistry import fonts
from docregistry.public.tokens import review_form_url

from . import rendered
from .choices import Category, Level
from .models import Application

FONT_FILE = "fonts/NotoSansSC-Subset.ttf"
FONT_FAMILY = "DocRegistry Sans SC"
TEMPLATE = "reviewform/review_form.html"
STYLESHEET = "reviewform/print.css"
UA_STYLESHEET = "reviewform/ua.css"
# The pages as the seed's filling guide names them, and what each holds.
PAGES = (
    ("cover", "封面", ""),
    ("p1", "第一页", "基本情况"),
    ("p2", "第二页", "工作经历、健康状况及执业范围"),
    ("p3", "第三页", "审核意见"),
    ("p4", "第四页", "医师执业证书编码"),
)
MIN_PARALLEL = 4  # fewer forms to render than this are rendered in this process, one by one
# A batch is laid out at most this many forms to a document: longer documents make every form
# dearer (WeasyPrint's layout grows faster than the page count; 25 forms cost 35 % more each).
FORMS_PER_DOCUMENT = 10
WORK_ROWS = 6  # rows of the work history table on 第二页 (it shares the page with health, training, remarks)
CONTINUATION_ROWS = 12  # rows of each continuation page of 第二页 (a long employer name takes two lines)
CACHE_PREFIX = "reviewform:v3"  # v3: cover + 第一页…第四页, continuation pages

# The form is always Chinese; these are the printed words for the stored values,
# so the PDF does not depend on a compiled translation catalogue.
LEVEL_ZH = {Level.PHYSICIAN: "执业医师", Level.ASSISTANT: "执业助理医师"}
CATEGORY_ZH = {
    Category.CLINICAL: "临床",
    Category.TCM: "中医",
    Category.DENTAL: "口腔",
    Category.PUBLIC_HEALTH: "公共卫生",
}
# The form's title and the authority's printed opinion follow the type (the opinion stored at approval wins).
FORM_TITLES = {
    "change": "医师变更执业注册申请审核表",
    "multi_site": "医师多机构备案申请审核表",
    "cancel": "医师注销注册申请审核表",
}
FORM_TITLE = "医师执业注册申请审核表"
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


def _period_row(period) -> dict:
    return {
        "starts_on": chinese_date(period.starts_on),
        "ends_on": chinese_date(period.ends_on) if period.ends_on else "至今",
        "employer": period.employer,
        "position": period.position,
    }


def continuation_pages(periods: int) -> int:
    """How many continuation pages of 第二页 a work history of ``periods`` rows needs."""
    return max(0, -(-(periods - WORK_ROWS) // CONTINUATION_ROWS))


def page_count(application: Application) -> int:
    """The pages of one form: the cover, 第一页 … 第四页, and the continuation pages of 第二页."""
    return len(PAGES) + continuation_pages(len(application.work_periods.all()))


def _pages(periods: list[dict]) -> list[dict]:
    """Every page of one form in order, each with its name and the work periods it prints."""
    pages = []
    extra = continuation_pages(len(periods))
    for key, name, subject in PAGES:
        if key == "p2":
            rows = periods[:WORK_ROWS]
            pages.append({"key": key, "name": name, "subject": subject, "rows": rows + [{}] * (WORK_ROWS - len(rows))})
            for n in range(extra):
                start = WORK_ROWS + n * CONTINUATION_ROWS
                pages.append(
                    {
                        "key": "p2c",
                        "name": f"第二页（续{n + 1}）" if extra > 1 else "第二页（续）",
                        "subject": "工作经历（续）",
                        "rows": periods[start : start + CONTINUATION_ROWS],
                    }
                )
        else:
            pages.append({"key": key, "name": name, "subject": subject})
    total = len(pages)
    for number, page in enumerate(pages, 1):
        page.update(number=number, total=total)
    return pages


def form_context(application: Application) -> dict:
    """Everything the form prints, as strings, for one application."""
    institution = application.institution
    kind = application.kind
    id_number = application.physician.id_number if application.physician_id else ""
    sex, born = _id_facts(id_number)
    periods = [_period_row(p) for p in application.work_periods.all()]
    title = application.title
    if application.teaching_title:
        title = f"{title}（{application.teaching_title}）" if title else application.teaching_title
    number = application.number or ""
    qualification = application.qualification
    registration = application.registration if kind.files_site else None
    decided = application.state in (Application.State.AUTHORITY_APPROVED, Application.State.REFUSED)
    confirmed_on = application.institution_decided_at
    return {
        "pk": application.pk,
        "number": number,
        "qr": qr_data_uri(review_form_url(application)),
        "pages": _pages(periods),
        "form_title": FORM_TITLES.get(application.type, FORM_TITLE),
        "type": kind.title_zh,
        "name": application.name,
        "sex": sex,
        "birth_date": born,
        "id_number": id_number,
        "level": LEVEL_ZH.get(application.level, application.level),
        # The cover's 类别 is the qualification's; 第一页's 申请执业类别 is the one applied for.
        "qualification_category": CATEGORY_ZH.get(qualification.category, qualification.category),
        "category": CATEGORY_ZH.get(application.category, application.category),
        "qualification_code": application.qualification_code,
        "practice_certificate_code": application.practice_certificate_code,
        "fill_date": chinese_date(application.fill_date),
        "education": application.education,
        "title": title,
        "files_site": kind.files_site,
        "institution_name": institution.name if institution else "",
        "institution_registration_number": institution.registration_number if institution else "",
        "institution_address": institution.address if institution else "",
        "institution_postcode": institution.postcode if institution else "",
        # A filing (多机构备案) names the main institution and the period filed for.
        "main_institution_name": registration.institution.name if registration else "",
        "main_institution_registration_number": registration.institution.registration_number if registration else "",
        "main_certificate_code": registration.certificate_code if registration else "",
        "site_period": (
            f"{chinese_date(application.site_starts_on)}至{chinese_date(application.site_ends_on) or '长期'}"
            if kind.files_site and application.site_starts_on
            else ""
        ),
        "assistant_qualified_on": (
            chinese_date(application.assistant_qualified_on) if application.level == Level.ASSISTANT else ""
        ),
        "physician_qualified_on": (
            chinese_date(application.physician_qualified_on) if application.level == Level.PHYSICIAN else ""
        ),
        "work_periods": periods,
        "health_status": application.health_status,
        "training_assessment": application.training_assessment or application.assessment_institution,
        "scope": application.scope,
        "remarks": application.remarks,
        "institution_opinion": application.institution_opinion,
        "institution_opinion_date": chinese_date(timezone.localdate(confirmed_on)) if confirmed_on else "",
        "authority_opinion": application.authority_opinion if decided else "",
        "authority_opinion_date": (
            chinese_date(timezone.localdate(application.decided_at)) if decided and application.decided_at else ""
        ),
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


def _write_chunk(job: tuple[str, list[int]]) -> tuple[bytes, list[bytes] | None]:
    """Render several forms laid out in one document; return it and each form cut out of it."""
    html, counts = job
    pdf = _write_pdf_unlocked(html)
    return pdf, _split_forms(pdf, counts)


def _split_forms(pdf: bytes, counts: list[int]) -> list[bytes] | None:
    """Cut a PDF of forms of ``counts`` pages each into one PDF per form; None if the pages don't add up."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    if len(reader.pages) != sum(counts):
        return None
    forms, start = [], 0
    for count in counts:
        writer = PdfWriter()
        for page in reader.pages[start : start + count]:
            writer.add_page(page)
        start += count
        out = io.BytesIO()
        writer.write(out)
        forms.append(out.getvalue())
    return forms


def cache_key(application: Application) -> str:
    stamp = application.updated_at.isoformat() if application.updated_at else ""
    digest = hashlib.sha1(f"{application.pk}:{application.version}:{stamp}".encode(), usedforsecurity=False)
    return f"{CACHE_PREFIX}:{application.pk}:{application.version}:{digest.hexdigest()[:12]}"


def render_review_form(application: Application, *, use_cache: bool = True) -> bytes:
    """The PDF of one application (cover and 第一页 … 第四页), re-used until the application changes."""
    key = cache_key(application)
    if use_cache:
        cached = rendered.get(key)
        if cached is not None:
            return cached
    pdf = _write_pdf(review_form_html([application]))
    if use_cache:
        rendered.put(key, pdf)
    return pdf


def render_review_forms(applications: Iterable[Application]) -> bytes:
    """One PDF with the forms of several applications, in the order given.

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
    prefetch_related_objects(applications, "work_periods", "qualification", "registration__institution")
    keys = [cache_key(a) for a in applications]
    pdfs = rendered.get_many(keys)
    missing = [(key, a) for key, a in zip(keys, applications, strict=True) if key not in pdfs]
    if len(missing) == len(applications) and len(applications) >= MIN_PARALLEL:
        size = min(-(-len(applications) // render_workers()), FORMS_PER_DOCUMENT)
        chunks = [applications[i : i + size] for i in range(0, len(applications), size)]
        jobs = [(review_form_html(chunk), [page_count(a) for a in chunk]) for chunk in chunks]
        documents = _write_pdfs(jobs, render=_write_chunk)
        parts = [pdf for pdf, _forms in documents]
        for chunk, (_pdf, forms) in zip(chunks, documents, strict=True):
            forms = forms or []  # a form that ran over its pages is not cached
            rendered.put_many({cache_key(a): form for a, form in zip(chunk, forms, strict=False)})
    else:
        htmls = [review_form_html([a]) for _key, a in missing]
        made = _write_pdfs(htmls) if len(htmls) >= MIN_PARALLEL else [_write_pdf(html) for html in htmls]
        fresh = {key: pdf for (key, _a), pdf in zip(missing, made, strict=True)}
        rendered.put_many(fresh)
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
