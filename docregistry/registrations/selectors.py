"""Who may see what: every read of an object a user asked for goes through here.

A missing object and another user's object answer the same: ``Http404``.
"""

import datetime
import unicodedata

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from docregistry.accounts.models import Role, User

from .models import (
    Application,
    Authority,
    Document,
    Institution,
    PracticeScope,
    Registration,
    RegistrationWindow,
)

State = Application.State


def jurisdiction_prefix(user: User) -> str | None:
    """The region-code prefix bounding what a clerk sees and does; None for everyone else."""
    if user.role == Role.AUTHORITY and user.authority_id:
        return user.authority.region.prefix
    return None


def applications_visible_to(user: User) -> QuerySet[Application]:
    """Every application ``user`` may open, by role; nothing for anyone else."""
    qs = Application.objects.select_related("institution", "institution__region", "physician")
    if user.role == Role.PHYSICIAN:
        return qs.filter(physician=user)
    if user.role == Role.INSTITUTION and user.institution_id:
        return qs.filter(institution_id=user.institution_id).exclude(state=State.DRAFT)
    if (prefix := jurisdiction_prefix(user)) is not None:
        # Only what an institution has forwarded at least once: an application the
        # institution returned or the physician withdrew before that stays private.
        return qs.filter(
            institution__region__code__startswith=prefix,
            institution_decided_at__isnull=False,
        ).exclude(state__in=(State.DRAFT, State.SUBMITTED))
    return qs.none()


def application_get(*, user: User, pk: int) -> Application:
    return get_object_or_404(applications_visible_to(user), pk=pk)


def application_get_by_number(*, user: User, number: str) -> Application:
    return get_object_or_404(applications_visible_to(user), number=normalize_application_number(number))


def normalize_application_number(raw: str) -> str:
    """Accept a number as typed or scanned: spaces, full-width digits and missing dashes are fine."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", raw or "") if ch.isdigit())
    if len(digits) == 16:
        return f"{digits[:4]}-{digits[4:10]}-{digits[10:]}"
    return (raw or "").strip()


def institutions_visible_to(user: User) -> QuerySet[Institution]:
    """The institutions of a clerk's jurisdiction (active or not); nothing for anyone else."""
    if (prefix := jurisdiction_prefix(user)) is not None:
        return Institution.objects.select_related("region").filter(region__code__startswith=prefix)
    return Institution.objects.none()


def institution_get(*, user: User, pk: int) -> Institution:
    return get_object_or_404(institutions_visible_to(user), pk=pk)


def applications_reportable_to(user: User) -> QuerySet[Application]:
    """What a clerk's reports count: every non-draft application of the jurisdiction's institutions."""
    if (prefix := jurisdiction_prefix(user)) is not None:
        return Application.objects.filter(institution__region__code__startswith=prefix).exclude(state=State.DRAFT)
    return Application.objects.none()


def registration_windows_visible_to(user: User) -> QuerySet[RegistrationWindow]:
    """A clerk manages the registration windows of their own authority only."""
    if user.role == Role.AUTHORITY and user.authority_id:
        return RegistrationWindow.objects.filter(authority_id=user.authority_id)
    return RegistrationWindow.objects.none()


def registration_window_get(*, user: User, pk: int) -> RegistrationWindow:
    return get_object_or_404(registration_windows_visible_to(user), pk=pk)


def registration_window_status(
    *, institution: Institution, on: datetime.date
) -> tuple[bool, RegistrationWindow | None]:
    """Whether first registrations are accepted on ``on`` for ``institution``, and the next window.

    The windows that apply are those of the most specific authority whose
    jurisdiction contains the institution's region (a district's windows win over
    its city's, a city's over its province's). When no such authority defines any
    window, first registrations are always open.
    """
    code = institution.region_id
    candidates = [code[:2] + "0000", code[:4] + "00", code]
    with_windows = set(
        Authority.objects.filter(region_id__in=candidates, windows__isnull=False).values_list("region_id", flat=True)
    )
    if not with_windows:
        return True, None
    region_code = [c for c in candidates if c in with_windows][-1]
    windows = RegistrationWindow.objects.filter(authority__region_id=region_code)
    if windows.filter(starts_on__lte=on, ends_on__gte=on).exists():
        return True, None
    return False, windows.filter(starts_on__gt=on).order_by("starts_on").first()


def document_get(*, user: User, pk: int) -> Document:
    return get_object_or_404(Document.objects.filter(application__in=applications_visible_to(user)), pk=pk)


def institutions_search(query: str, *, limit: int = 20) -> QuerySet[Institution]:
    """Institutions a physician may address, by name or registration number."""
    query = (query or "").strip()
    qs = Institution.objects.filter(is_active=True).select_related("region")
    if not query:
        return qs.none()
    return qs.filter(Q(name__icontains=query) | Q(registration_number__icontains=query))[:limit]


def applications_filter(qs: QuerySet[Application], filters: dict) -> QuerySet[Application]:
    """The combinable search of the institution and authority lists; empty values are ignored."""
    if filters.get("name"):
        qs = qs.filter(name__contains=filters["name"].strip())
    if filters.get("id_number"):
        qs = qs.filter(physician__id_number=filters["id_number"].strip().upper())
    if filters.get("number"):
        qs = qs.filter(number=normalize_application_number(filters["number"]))
    if filters.get("type"):
        qs = qs.filter(type=filters["type"])
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("submitted_from"):
        qs = qs.filter(submitted_at__date__gte=filters["submitted_from"])
    if filters.get("submitted_to"):
        qs = qs.filter(submitted_at__date__lte=filters["submitted_to"])
    return qs.order_by("submitted_at", "pk")


def mask_id_number(id_number: str) -> str:
    """First 6 and last 4 characters shown: 110105********002X."""
    if len(id_number) < 10:
        return id_number
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def current_step(application: Application) -> str:
    """What the application waits for, in words."""
    if application.state == State.DRAFT:
        return _("Draft: not yet submitted.")
    if application.state == State.SUBMITTED:
        return _("Waiting for %(institution)s to confirm.") % {"institution": application.institution}
    if application.state == State.INSTITUTION_APPROVED:
        return _("Confirmed by %(institution)s; waiting for the health authority's decision.") % {
            "institution": application.institution
        }
    if application.state == State.RETURNED:
        return _("Returned to you: correct it and submit again.")
    if application.state == State.AUTHORITY_APPROVED:
        return _("Approved: the registration is in force.")
    if application.state == State.REFUSED:
        return _("Refused by the health authority.")
    return _("Withdrawn.")


DECISION_WORKING_DAYS = 20  # Physicians Law art. 13


def decision_clock(application: Application, *, today: datetime.date | None = None) -> dict | None:
    """The authority's 20-working-day clock, counted from the day the institution forwarded the application."""
    if application.institution_decided_at is None or application.state != State.INSTITUTION_APPROVED:
        return None
    start = timezone.localdate(application.institution_decided_at)
    today = today or timezone.localdate()
    elapsed = working_days_between(start, today)
    deadline = add_working_days(start, DECISION_WORKING_DAYS)
    return {
        "start": start,
        "elapsed": elapsed,
        "remaining": max(DECISION_WORKING_DAYS - elapsed, 0),
        "limit": DECISION_WORKING_DAYS,
        "deadline": deadline,
        "overdue": elapsed > DECISION_WORKING_DAYS,
        "percent": min(100, round(100 * elapsed / DECISION_WORKING_DAYS)),
    }


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The day ``days`` Monday–Friday days after ``start`` (public holidays not counted)."""
    day = start
    while days > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Monday–Friday days after ``start`` up to and including ``end`` (public holidays not counted)."""
    days = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


# ---- The physician's own records ------------------------------------------------


def registrations_in_force(user: User) -> QuerySet[Registration]:
    """A physician's registrations in force, with their main institution and filed sites."""
    if user.role != Role.PHYSICIAN:
        return Registration.objects.none()
    return (
        Registration.objects.filter(physician=user, state=Registration.State.ACTIVE)
        .select_related("institution", "authority")
        .prefetch_related("sites__institution")
    )


def practice_scopes_for(category: str) -> list[str]:
    """The practice scopes an operator allows for ``category``, in their order (SPEC section 7)."""
    return list(PracticeScope.objects.filter(category=category, is_active=True).values_list("name", flat=True))


def institution_choosable_get(*, pk: int) -> Institution:
    """An institution a physician may address (active ones only)."""
    return get_object_or_404(Institution.objects.filter(is_active=True), pk=pk)
