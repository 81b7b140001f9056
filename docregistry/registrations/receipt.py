"""The physician's receipt 《申请回执》 once the institution has confirmed: what to bring, where, by when.

One A4 page rendered by WeasyPrint with the font shipped for the review form, always in Chinese (it is
handed over at the authority's counter with the paper materials). The QR code is the review form's: it
opens the public verification page, and the authority's *open by code* field takes it as scanned.
"""

import hashlib
import json

from django.template.loader import render_to_string
from django.utils import timezone, translation

from docregistry.public.tokens import review_form_url

from . import rendered, reviewform
from .checklists import checklist_for
from .models import Application, Authority
from .presentation import decision_clock

TEMPLATE = "receipt/receipt.html"
STYLESHEET = "receipt/receipt.css"
TITLE = "申请回执"
CACHE_PREFIX = "receipt:v1"


def materials_for(application: Application) -> list[str]:
    """The paper materials the physician brings for this application's type, in the interface language."""
    return [item.label for item in checklist_for(application)]


def receipt_available(application: Application) -> bool:
    """A receipt exists while the authority's decision is awaited: after the institution confirmed."""
    return application.state == Application.State.INSTITUTION_APPROVED


def receipt_context(application: Application, authority: Authority | None) -> dict:
    """What the receipt prints, as strings (Chinese)."""
    with translation.override("zh-hans"):
        clock = decision_clock(application) or {}
        institution = application.institution
        return {
            "title": TITLE,
            "number": application.number,
            "type": application.kind.title_zh,
            "name": application.name,
            "institution": institution.name if institution else "",
            "institution_registration_number": institution.registration_number if institution else "",
            "confirmed_on": reviewform.chinese_date(timezone.localdate(application.institution_decided_at))
            if application.institution_decided_at
            else "",
            "deadline": reviewform.chinese_date(clock.get("deadline")),
            "authority": authority.name if authority else "",
            "office_address": authority.office_address if authority else "",
            "opening_hours": authority.opening_hours if authority else "",
            "phone": authority.phone if authority else "",
            "materials": materials_for(application),
            "printed_on": reviewform.chinese_date(timezone.localdate()),
            "qr": reviewform.qr_data_uri(review_form_url(application)),
        }


def receipt_pdf(application: Application, authority: Authority | None) -> bytes:
    """The receipt, rendered once for what it prints and kept in the file storage (``rendered``).

    The key is a digest of everything printed (the application, the office, the materials, the
    deadline, today's date), so an edit of any of them, or a new day, renders a new one.
    """
    context = receipt_context(application, authority)
    printed = json.dumps(context, sort_keys=True, default=str).encode()
    digest = hashlib.sha1(printed, usedforsecurity=False).hexdigest()[:16]
    key = f"{CACHE_PREFIX}:{application.pk}:{application.version}:{digest}"
    pdf = rendered.get(key)
    if pdf is None:
        pdf = _render(context)
        rendered.put(key, pdf)
    return pdf


def _render(context: dict) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    html = render_to_string(TEMPLATE, {"r": context})
    font_config = FontConfiguration()
    css = render_to_string(
        STYLESHEET, {"font_url": reviewform.font_path().as_uri(), "font_family": reviewform.FONT_FAMILY}
    )
    with reviewform._render_lock:  # one WeasyPrint render at a time per process, as for the review form
        return HTML(string=html).write_pdf(
            stylesheets=[CSS(string=css, font_config=font_config)], font_config=font_config
        )


def receipt_filename(application: Application) -> str:
    return f"receipt-{application.number}.pdf"
