"""Login throttling with django-axes, on every portal's login, the admin's, the SMS-code and recovery forms.

A username (or, for the recovery forms, the ID number asked about) is locked after
``AXES_FAILURE_LIMIT`` (5) failures within ``AXES_COOLOFF_TIME`` (15 minutes); a client address
after ``AXES_IP_FAILURE_LIMIT`` (50) failures, whatever usernames it tried. While locked, even the
right password is refused with the lockout page (429) in the user's language. The counters are
``axes.AccessAttempt`` rows (the database handler, on SQLite and PostgreSQL alike); an admin unlocks by
deleting the rows under 访问尝试 (Access attempts), or ``manage.py axes_reset_username NAME``.

The SMS-code and recovery forms are not Django logins, so they report a wrong code or an unknown
(ID number, mobile) pair through the same ``user_login_failed`` signal (``throttle_failure``) and ask
``throttle_allowed`` first: a wrong activation code counts against the account like a wrong password.
"""

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.shortcuts import render

from docregistry.http import client_ip


class PortalAxesBackend(AxesStandaloneBackend):
    """axes' check before the password, for every login that comes with a request (all the site's forms).

    ``authenticate()`` without a request (``Client.login`` in tests, a shell) has no client to count
    and is let through to the next backend instead of raising.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class PortalAxesHandler(AxesDatabaseHandler):
    """axes' database handler with two limits: per username (5) and per client address (50).

    ``AXES_LOCKOUT_PARAMETERS`` is ``["username", "ip_address"]``, so axes filters the attempts
    once by username and once by address; axes compares one number with one limit, so the
    address's count is reported as "at the limit" once it reaches its own, larger limit.
    """

    def get_failures(self, request, credentials=None) -> int:
        by_username, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if by_address >= settings.AXES_IP_FAILURE_LIMIT:
            return max(by_username, settings.AXES_FAILURE_LIMIT)
        return by_username


def axes_client_ip(request) -> str:
    """The address axes counts: the same one the audit records (``USE_X_FORWARDED_FOR`` behind a proxy)."""
    return client_ip(request) or ""


def throttle_allowed(request, key: str) -> bool:
    """May ``request`` try once more for ``key`` (a username, or ``id:<ID number>``)?"""
    return AxesProxyHandler.is_allowed(request, {"username": key})


def throttle_failure(request, key: str) -> None:
    """Count a failed try for ``key`` and for the client address, like a wrong password."""
    user_login_failed.send(sender=__name__, credentials={"username": key}, request=request)


def lockout_response(request, key: str):
    return get_lockout_response(request, None, {"username": key})


def lockout(request, original_response=None, credentials=None):
    """The lockout page (429), in the user's language, saying how long to wait."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/locked_out.html", context, status=429)
