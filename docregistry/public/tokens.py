"""The code behind every printed document: ``<SITE_URL>/v/<token>/``.

The token is signed with Django's signing (no timestamp: a print stays checkable for ever) (the site's ``SECRET_KEY``), and names the
document kind, its id and its version, so the verification page can tell what the
print says from what the record says now. A token altered by one character does not
load; the page then answers 404 like any unknown address.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "docregistry.verification.v1"
REVIEW_FORM = "rf"  # an application's review form; version = Application.version when printed
CERTIFICATE = "pc"  # an electronic practice certificate; id = IssuedCertificate, version = its content digest
KINDS = (REVIEW_FORM, CERTIFICATE)
# What a scanner types from the QR: the URL (any host: a print from a test or a renamed site still opens).
_SCANNED = re.compile(r"/v/(?P<token>[A-Za-z0-9_\-:]+)/?$")


@dataclass(frozen=True)
class DocumentRef:
    kind: str
    id: int
    version: int | str


def make_token(kind: str, pk: int, version: int | str) -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    return signing.Signer(salt=SALT).sign_object([kind, pk, version])


def read_token(token: str) -> DocumentRef | None:
    """The document a token names, or None when it was not signed by this site (forged or altered)."""
    try:
        value = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 3 and value[0] in KINDS and isinstance(value[1], int)):
        return None
    return DocumentRef(kind=value[0], id=value[1], version=value[2])


def verification_url(kind: str, pk: int, version: int | str) -> str:
    path = reverse("publicregister:verify", args=[make_token(kind, pk, version)])
    return settings.SITE_URL.rstrip("/") + path


def review_form_url(application) -> str:
    """What the QR on every page of an application's review form encodes."""
    return verification_url(REVIEW_FORM, application.pk, application.version)


def scanned_document(text: str) -> DocumentRef | None:
    """A verification URL as a scanner types it (or pasted), read back; None for anything else."""
    text = (text or "").strip()
    match = _SCANNED.search(urlsplit(text).path if "://" in text else text)
    return read_token(match["token"]) if match else None
