"""Request hardening shared by every portal: bad text answers 400, security headers, the staff idle timeout.

- ``BadInputMiddleware``: a NUL byte or a lone surrogate, which no text column can hold, anywhere in
  the path, the query string or a submitted form, answers 400 before any view runs (PostgreSQL refuses
  NUL in a string literal; without this a search for ``%00`` was a 500); a value the database refuses
  later (an integer beyond 64 bits in an admin filter: ``OverflowError``, ``DataError``) answers 400 too.
- ``PermissionsPolicyMiddleware``: the browser features the site never uses are switched off.
- ``StaffIdleTimeoutMiddleware``: institution staff, clerks and admins are signed out after
  ``STAFF_IDLE_TIMEOUT`` seconds (30 minutes) without a request; physicians keep the normal session.
- ``clean_file_name`` and ``neutralise_cell``: uploaded file names without control or bidi characters,
  and export cells a spreadsheet never reads as a formula.
"""

import logging
import time
import unicodedata

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import DataError
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

MSG_BAD_INPUT = _("The request contains characters that cannot be text (such as a NUL byte).")
MSG_IDLE = _("You were signed out after 30 minutes without activity. Please sign in again.")

SESSION_LAST_SEEN = "security:last_seen"
STAFF_ROLES = ("institution", "authority", "admin")


def is_bad_text(value: str) -> bool:
    """NUL or a surrogate (never valid in UTF-8): text that a database column cannot hold."""
    for char in value:
        code = ord(char)
        if code == 0 or 0xD800 <= code <= 0xDFFF:
            return True
    return False


def _bad_query(querydict) -> bool:
    return any(is_bad_text(key) or any(is_bad_text(v) for v in values) for key, values in querydict.lists())


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.is_bad(request):
            return HttpResponseBadRequest(gettext(MSG_BAD_INPUT), content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    def process_exception(self, request, exception):
        """A value the database cannot hold (an integer beyond 64 bits in a filter, …) is bad input, not a 500."""
        if isinstance(exception, (OverflowError, DataError)):
            logger.info("bad input answered 400: %s: %s", type(exception).__name__, str(exception)[:200])
            return HttpResponseBadRequest(gettext(MSG_BAD_INPUT), content_type="text/plain; charset=utf-8")
        return None

    @staticmethod
    def is_bad(request) -> bool:
        if is_bad_text(request.path) or _bad_query(request.GET):
            return True
        content_type = request.content_type or ""
        if request.method == "POST" and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return _bad_query(request.POST)  # file names: Django drops NUL; clean_file_name the rest
        return False


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def is_staff_account(user) -> bool:
    return user.is_authenticated and (user.role in STAFF_ROLES or user.is_staff or user.is_superuser)


def start_idle_clock(sender, request, user, **kwargs):
    """``user_logged_in``: the idle clock starts at sign-in (so the first page writes no session)."""
    if request is not None and hasattr(request, "session") and is_staff_account(user):
        request.session[SESSION_LAST_SEEN] = time.time()


class StaffIdleTimeoutMiddleware:
    """Signs a staff account out after ``STAFF_IDLE_TIMEOUT`` seconds without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and is_staff_account(user):
            now = time.time()
            last_seen = request.session.get(SESSION_LAST_SEEN)
            if last_seen is not None and now - last_seen > settings.STAFF_IDLE_TIMEOUT:
                login_url = _login_url(user)
                logout(request)
                messages.info(request, MSG_IDLE)
                return redirect_to_login(request.get_full_path(), login_url)
            # Written at most once a minute: not a session write on every request.
            if last_seen is None or now - last_seen > 60:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


def _login_url(user) -> str:
    namespace = {"institution": "institutions", "authority": "authority"}.get(user.role)
    return reverse(f"{namespace}:login") if namespace else reverse("admin:login")


# ---- Files and exports -----------------------------------------------------------------


def clean_file_name(name: str, *, default: str = "file", max_length: int = 200) -> str:
    """The last path part of ``name`` without control, format (bidi overrides, zero-width) or separator characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        char for char in name if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
    )
    name = name.strip().strip(".")
    return name[:max_length] or default


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(row) -> list:
    return [neutralise_cell(value) for value in row]


class Echo:
    """A file-like ``csv.writer`` target that hands each written line back instead of storing it: a
    streamed CSV (``StreamingHttpResponse``) writes one line at a time."""

    def write(self, value: str) -> str:
        return value
