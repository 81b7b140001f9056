"""Uploads attached to an application: checked by content and size, stored under a new name."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import User
from docregistry.security import clean_file_name

from ..models import Application, Document
from .drafts import application_editable_get

MSG_FILE_TYPE = _("Upload a PDF, JPEG or PNG file.")
MSG_FILE_TOO_BIG = _("The file is larger than %(mb)s MB.")
MSG_FILE_EMPTY = _("The file is empty.")
MSG_DOCUMENT_KIND = _("Choose what the document is.")

DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
# Magic bytes: what a file is, whatever its name or the browser says.
DOCUMENT_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def _sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, extension in DOCUMENT_SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


@transaction.atomic
def document_add(*, application: Application, actor: User, kind: str, file) -> Document:
    """Attach an upload: PDF, JPEG or PNG by its content, at most ``DOCUMENT_MAX_BYTES``, stored under a new name."""
    locked = application_editable_get(application=application, actor=actor)
    if kind not in Document.Kind.values:
        raise ValidationError({"kind": MSG_DOCUMENT_KIND})
    if not file or not file.size:
        raise ValidationError({"file": MSG_FILE_EMPTY})
    if file.size > DOCUMENT_MAX_BYTES:
        raise ValidationError({"file": MSG_FILE_TOO_BIG % {"mb": DOCUMENT_MAX_BYTES // (1024 * 1024)}})
    file.seek(0)
    sniffed = _sniff(file.read(16))
    file.seek(0)
    if sniffed is None:
        raise ValidationError({"file": MSG_FILE_TYPE})
    content_type, extension = sniffed
    original_name = clean_file_name(file.name, default=f"document.{extension}")
    document = Document(
        application=locked, kind=kind, original_name=original_name, content_type=content_type, size=file.size
    )
    document.file.save(f"{uuid.uuid4().hex}.{extension}", file, save=False)
    document.save()
    return document


@transaction.atomic
def document_delete(*, document: Document, actor: User) -> None:
    application_editable_get(application=document.application, actor=actor)
    document.file.delete(save=False)
    document.delete()
