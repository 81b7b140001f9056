"""Pluggable SMS sending, shaped like ``django.core.mail``.

``settings.SMS_BACKEND`` names a class with ``send_messages(messages)``; the
console, file and in-memory backends serve development and tests, and
``provider.HttpProviderBackend`` talks to a real SMS gateway over HTTP.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class SmsError(Exception):
    """The provider refused or could not be reached; the caller may retry."""


def get_backend(backend: str | None = None, **kwargs):
    return import_string(backend or settings.SMS_BACKEND)(**kwargs)


def send_sms(to: str, body: str, *, backend: str | None = None) -> int:
    """Send one message now, through the configured backend. Returns the number sent."""
    return get_backend(backend).send_messages([SmsMessage(to=to, body=body)])
