"""A real SMS gateway: JSON over HTTPS with an API key, as Chinese SMS providers offer.

Configure with ``SMS_PROVIDER_URL``, ``SMS_PROVIDER_KEY`` and ``SMS_SIGN_NAME``.
A non-2xx answer, a time-out or a provider error code raises ``SmsError`` so
that the sending task retries with back-off.
"""

import json
import os
import urllib.error
import urllib.request

from . import SmsError
from .base import BaseSmsBackend


class HttpProviderBackend(BaseSmsBackend):
    timeout = 10

    def __init__(self, *args, url=None, api_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.url = url or os.environ.get("SMS_PROVIDER_URL", "")
        self.api_key = api_key or os.environ.get("SMS_PROVIDER_KEY", "")
        if not self.url.startswith("https://"):
            raise SmsError("SMS_PROVIDER_URL must be an https:// address")

    def send_messages(self, messages):
        sent = 0
        for message in messages:
            payload = json.dumps({"phone": message.to, "sign": self.sign_name, "content": message.body}).encode()
            request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
                self.url,
                data=payload,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    answer = json.loads(response.read() or b"{}")
            except (urllib.error.URLError, TimeoutError, ValueError) as exc:
                if self.fail_silently:
                    continue
                raise SmsError(str(exc)) from exc
            if answer.get("code", 0) not in (0, "OK"):
                if self.fail_silently:
                    continue
                raise SmsError(f"provider answered {answer!r}")
            sent += 1
        return sent
