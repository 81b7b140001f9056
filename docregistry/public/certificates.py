"""The electronic practice certificate 《医师执业证书》 (电子证照): content, PDF, PAdES signature, verification.

The certificate is rendered by WeasyPrint with the font shipped for the review form, carries
the verification QR code (``/v/<token>/`` naming the issued certificate and its content
digest) and is signed with the site's key (``signing.py``). Each distinct content is kept
once as an ``IssuedCertificate``, so an old certificate's code still says what it said,
next to what the register says now.
"""

import atexit
import functools
import hashlib
import json

from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from docregistry import fonts
from docregistry.registrations import reviewform
from docregistry.registrations.models import Registration

from . import register, tokens
from .documents import Verification
from .models import IssuedCertificate
from .signing import sign_pdf

TEMPLATE = "certificate/certificate.html"
STYLESHEET = "certificate/certificate.css"
TITLE = "医师执业证书"


def certificate_content(registration: Registration) -> dict:
    """What the certificate prints, as strings (always Chinese: it is a government document)."""
    physician = registration.physician
    sex, born = reviewform._id_facts(physician.id_number)
    area = register.practice_area(registration)
    return {
        "name": physician.real_name,
        "sex": sex,
        "birth_date": born,
        "level": reviewform.LEVEL_ZH.get(registration.level, registration.level),
        "category": reviewform.CATEGORY_ZH.get(registration.category, registration.category),
        "scopes": "、".join(register.registration_scopes(registration)),
        "institution": registration.institution.name,
        "practice_area": area.name if area else "",
        "certificate_code": registration.certificate_code,
        "authority": registration.authority.name,
        "effective_on": reviewform.chinese_date(registration.effective_on),
    }


def content_digest(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


@transaction.atomic
def certificate_issue(*, registration: Registration) -> IssuedCertificate:
    """The certificate for the registration as it is now: the same row while nothing printed changes."""
    content = certificate_content(registration)
    issued, _created = IssuedCertificate.objects.get_or_create(
        registration=registration, digest=content_digest(content), defaults={"content": content}
    )
    return issued


def certificate_url(issued: IssuedCertificate) -> str:
    return tokens.verification_url(tokens.CERTIFICATE, issued.pk, issued.digest)


def certificate_html(issued: IssuedCertificate) -> str:
    return render_to_string(
        TEMPLATE,
        {
            "c": issued.content,
            "title": TITLE,
            "issued_on": reviewform.chinese_date(timezone.localdate(issued.issued_at)),
            "qr": reviewform.qr_data_uri(certificate_url(issued)),
            "verify_url": certificate_url(issued),
        },
    )


@functools.lru_cache(maxsize=1)
def _weasyprint_setup():
    """Once per process, as for the review form: the shipped faces registered, the stylesheet parsed."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    css = render_to_string(
        STYLESHEET, {"font_faces": fonts.pdf_font_faces(reviewform.FONT_FAMILY), "font_family": reviewform.FONT_FAMILY}
    )
    return font_config, CSS(string=css, font_config=font_config)


def _write_pdf(html: str) -> bytes:
    from weasyprint import HTML

    with reviewform._render_lock:  # one WeasyPrint render at a time per process, as for the review form
        font_config, css = _weasyprint_setup()
        return HTML(string=html).write_pdf(stylesheets=[css], font_config=font_config)


atexit.register(_weasyprint_setup.cache_clear)  # its temporary font folder goes with it


def certificate_pdf(issued: IssuedCertificate) -> bytes:
    """The signed PDF of one issued certificate."""
    pdf = _write_pdf(certificate_html(issued))
    return sign_pdf(pdf, reason=f"{TITLE} {issued.content['certificate_code']}", location=issued.content["authority"])


def certificate_filename(issued: IssuedCertificate) -> str:
    return f"practice-certificate-{issued.content['certificate_code']}.pdf"


# ---- The verification page of a certificate --------------------------------------------

PRINTED = ("name", "level", "category", "scopes", "institution", "practice_area", "certificate_code", "authority")


def verify_certificate(ref: tokens.DocumentRef):
    issued = (
        IssuedCertificate.objects.select_related(
            "registration__physician",
            "registration__institution__region",
            "registration__authority",
        )
        .filter(pk=ref.id, digest=str(ref.version))
        .first()
    )
    if issued is None:
        raise Http404
    registration = issued.registration
    now = certificate_content(registration)
    labels = {
        "name": _("Name"),
        "level": _("Level"),
        "category": _("Category"),
        "scopes": _("Practice scopes"),
        "institution": _("Main institution"),
        "practice_area": _("Practice area"),
        "certificate_code": _("Practice certificate code"),
        "authority": _("Issued by"),
    }
    result = Verification(
        kind=tokens.CERTIFICATE, title=_("Electronic practice certificate"), reference=now["certificate_code"]
    )
    result.printed = [(labels[k], issued.content.get(k, "")) for k in PRINTED]
    result.printed.append((_("Issued on"), reviewform.chinese_date(timezone.localdate(issued.issued_at))))
    result.now = [(labels[k], now[k]) for k in PRINTED]
    result.now.append((_("State now"), register.registration_state_text(registration)))
    differs = [labels[k] for k in PRINTED if issued.content.get(k) != now[k]]
    if differs:
        result.stale = _("This certificate is out of date: the register now differs in %(fields)s.") % {
            "fields": "、".join(differs)
        }
    if not register.is_in_force(registration):
        result.caution = _("This registration is not in force: %(state)s.") % {
            "state": register.registration_state_text(registration)
        }
    return result
