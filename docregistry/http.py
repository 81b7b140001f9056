"""Small helpers the three portals' views share: the client's address and file responses."""

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse


def client_ip(request) -> str | None:
    """The address written to the audit record.

    Behind a reverse proxy (``USE_X_FORWARDED_FOR``), the address the proxy saw
    — the last entry it appended to X-Forwarded-For — not the proxy's own.
    """
    if settings.USE_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR") or None


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def document_response(document, *, download: bool = False) -> FileResponse:
    """An uploaded document (already checked by ``selectors.document_get``), never cached by proxies."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline_types = ("application/pdf", "image/jpeg", "image/png")
    response = FileResponse(
        handle,
        content_type=document.content_type,
        as_attachment=download or document.content_type not in inline_types,
        filename=document.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
