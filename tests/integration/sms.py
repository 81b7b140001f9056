"""The outside world for the tests: an SMS provider that is down, then back."""

from docregistry.accounts.sms import SmsError
from docregistry.accounts.sms.locmem import SmsBackend as LocmemBackend


class DownProviderBackend(LocmemBackend):
    """A provider that refuses every message (as a gateway outage looks to us)."""

    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        raise SmsError("provider unreachable (test)")
