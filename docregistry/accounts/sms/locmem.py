from .base import BaseSmsBackend

# Messages sent in this process, like ``django.core.mail.outbox``.
outbox: list = []


class SmsBackend(BaseSmsBackend):
    """Keeps messages in ``outbox`` (tests)."""

    def send_messages(self, messages):
        outbox.extend(messages)
        return len(messages)
