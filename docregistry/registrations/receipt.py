"""The physician's receipt 《申请回执》 once the institution has confirmed: what to bring, where, by when.

One A4 page rendered by WeasyPrint with the font shipped for the review form, always in Chinese (it is
handed over at the authority's counter with the paper materials). The QR code is the review form's: it
opens the public verification page, and the authority's *open by code* field takes it as scanned.
"""

from django.template.loader import render_to_string
from django.utils import timezone, translation

from docregistry.public.tokens import review_form_url

from . import reviewform
from .checklists import checklist_for
from .models import Application, Authority
from .presentation import decision_clock

TEMPLATE = "receipt/receipt.html"
STYLESHEET = "receipt/receipt.css"
TITLE = "申请回执"


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
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    html = render_to_string(TEMPLATE, {"r": receipt_context(application, authority)})
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
