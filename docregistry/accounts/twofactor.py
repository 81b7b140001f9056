"""Two-factor sign-in for staff: institution staff, clerks and admins confirm a TOTP code after the password.

- **Enrolment** at the first sign-in (``/account/2fa/setup/``): a QR code of the ``otpauth://`` URI (an SVG
  ``data:`` image, which the Content-Security-Policy allows) and the key to type by hand; the first correct
  code confirms the authenticator (a django-otp ``TOTPDevice``) and shows 10 recovery codes once (a
  ``StaticDevice``; each works once, in place of a code).
- **Every sign-in** after that asks for a code or a recovery code (``/account/2fa/verify/``); wrong codes
  count like wrong passwords (``throttle``), so the account locks after 5.
- **One gate**: ``StaffTwoFactorMiddleware`` lets a staff session that is not OTP-verified reach only these
  pages, logout, the language switch and static files; every portal page and the admin send it here.
- Physicians keep password + SMS. An admin resets a lost authenticator by deleting the user's TOTP and
  static devices in the admin (django-otp's pages); the next sign-in enrols again.
"""

import base64
from urllib.parse import quote

import segno
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from docregistry.security import is_staff_account

from .portals import portal_home
from .throttle import lockout_response, throttle_allowed, throttle_failure

MSG_CODE_WRONG = _("The code is not correct. Enter the 6 digits your authenticator app shows now, or a recovery code.")
RECOVERY_CODES = 10
EXEMPT_SUFFIXES = ("/logout/",)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return portal_home(request.user)


def _code(request) -> str:
    return "".join((request.POST.get("code") or "").split())


def recovery_codes_new(user) -> list[str]:
    """Replace the user's recovery codes by 10 new ones; returns them (shown once, stored only in the device)."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def pending_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


class SetupView(LoginRequiredMixin, View):
    """Enrol an authenticator app: QR code, key, first code."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and user_has_device(request.user):
            return redirect(f"{reverse('twofactor:verify')}?next={quote(_next_url(request))}")
        return super().dispatch(request, *args, **kwargs)

    def context(self, request, device, error=None) -> dict:
        return {
            "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
            "key": base64.b32encode(device.bin_key).decode(),
            "next": _next_url(request),
            "error": error,
        }

    def get(self, request):
        return render(request, "accounts/otp_setup.html", self.context(request, pending_device(request.user)))

    def post(self, request):
        user = request.user
        if not throttle_allowed(request, user.username):
            return lockout_response(request, user.username)
        device = pending_device(user)
        if not device.verify_token(_code(request)):
            throttle_failure(request, user.username)
            context = self.context(request, device, error=MSG_CODE_WRONG)
            return render(request, "accounts/otp_setup.html", context, status=200)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        codes = recovery_codes_new(user)
        return render(request, "accounts/otp_codes.html", {"codes": codes, "next": _next_url(request)})


class VerifyView(LoginRequiredMixin, View):
    """The second step of every staff sign-in: a code from the authenticator, or a recovery code."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_has_device(request.user):
            return redirect(f"{reverse('twofactor:setup')}?next={quote(_next_url(request))}")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, "accounts/otp_verify.html", {"next": _next_url(request)})

    def post(self, request):
        user = request.user
        if not throttle_allowed(request, user.username):
            return lockout_response(request, user.username)
        device = match_token(user, _code(request))
        if device is None:
            throttle_failure(request, user.username)
            context = {"next": _next_url(request), "error": MSG_CODE_WRONG}
            return render(request, "accounts/otp_verify.html", context, status=200)
        otp_login(request, device)
        return redirect(_next_url(request))


urlpatterns = [
    path("setup/", SetupView.as_view(), name="setup"),
    path("verify/", VerifyView.as_view(), name="verify"),
]


class StaffTwoFactorMiddleware:
    """Staff sessions that have not confirmed a code reach only the two-factor pages (after OTPMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.STAFF_TWO_FACTOR
            and user is not None
            and is_staff_account(user)
            and not user.is_verified()
            and not self.exempt(request.path)
        ):
            target = "twofactor:verify" if user_has_device(user) else "twofactor:setup"
            return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")
        return self.get_response(request)

    @staticmethod
    def exempt(path: str) -> bool:
        free = ("/account/2fa/", "/i18n/", "/healthz", "/favicon.ico", "/" + settings.STATIC_URL.lstrip("/"))
        return path.startswith(free) or path.endswith(EXEMPT_SUFFIXES)
