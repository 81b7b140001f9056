"""Outbox texts that carry a secret (an SMS code, an institution's one-time password) are sealed.

``seal`` encrypts the text (Fernet: AES-128-CBC and HMAC-SHA256, with a key derived from
``SECRET_KEY``) and the row keeps only ``sealed:v1:<token>``; the sender opens it (``unseal``) at
most ``OUTBOX_SEAL_TTL`` seconds after it was written, and once it is sent the row's text becomes
``SENT_SEALED``. So neither the admin's outbox page nor a copy of the database shows the secret,
and a token older than the TTL can no longer be opened even with the key.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

SEALED_PREFIX = "sealed:v1:"
SENT_SEALED = "[sent; the one-time secret is not kept]"


class SealExpired(Exception):
    """The sealed text is older than ``OUTBOX_SEAL_TTL`` (or was sealed with another key)."""


def _fernet() -> Fernet:
    digest = hashlib.sha256(("docregistry.outbox-seal:" + settings.SECRET_KEY).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(text: str) -> str:
    return SEALED_PREFIX + _fernet().encrypt(text.encode()).decode()


def is_sealed(text: str) -> bool:
    return text.startswith(SEALED_PREFIX)


def unseal(text: str) -> str:
    if not is_sealed(text):
        return text
    try:
        return _fernet().decrypt(text.removeprefix(SEALED_PREFIX).encode(), ttl=settings.OUTBOX_SEAL_TTL).decode()
    except InvalidToken:
        raise SealExpired("the sealed text expired or was sealed with another key") from None
