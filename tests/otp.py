"""The second step of a staff sign-in through the real forms, with a code computed from the device's key."""

from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def pass_second_factor(client, user, next_url: str = ""):
    """Enrol (first sign-in) or confirm a code, as the person would with the authenticator app."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    url = reverse("twofactor:verify")
    if device is None:
        url = reverse("twofactor:setup")
        client.get(url)
        device = TOTPDevice.objects.get(user=user, confirmed=False)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # a code may be reused within a test's 30 s
    device.refresh_from_db()
    response = client.post(url, {"code": totp_code(device), "next": next_url})
    assert response.status_code in (200, 302), response.content.decode()[:300]
    return response


def forced_device_id(user) -> str | None:
    """For a sign-in that skips the forms (``force_login`` in tests, the benchmarks' sessions): the
    persistent id of a static device made for it, to put in the session as two-factor verified.
    None for a physician, who has no second factor."""
    from django_otp.plugins.otp_static.models import StaticDevice

    from docregistry.security import is_staff_account

    if not is_staff_account(user):
        return None
    device, _created = StaticDevice.objects.get_or_create(user=user, name="forced login (tests)")
    return device.persistent_id


def mark_verified(session, user) -> None:
    if (device_id := forced_device_id(user)) is not None:
        session[DEVICE_ID_SESSION_KEY] = device_id
