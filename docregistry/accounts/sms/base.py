from collections.abc import Sequence

from django.conf import settings


class BaseSmsBackend:
    """Subclasses implement ``send_messages`` and raise ``SmsError`` on failure."""

    def __init__(self, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently
        self.sign_name = kwargs.get("sign_name", settings.SMS_SIGN_NAME)

    def format(self, message) -> str:
        return f"【{self.sign_name}】{message.body}"

    def send_messages(self, messages: Sequence) -> int:
        raise NotImplementedError
