"""The second step of a staff sign-in through the real forms, with a code computed from the device's key."""

from django.urls import reverse
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
