"""Who may see what: every read of an object a user asked for goes through here.

A missing object and another user's object answer the same: ``Http404``.
"""

import datetime
import unicodedata
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from docregistry.accounts.models import Role, User
from docregistry.public.tokens import REVIEW_FORM, scanned_document

from . import presentation
from .checklists import checklist_for
from .models import (
    OPEN_STATES,
    Application,
    Authority,
    Document,
    Institution,
    PracticeScope,
    PracticeSite,
    Registration,
    RegistrationWindow,
    StatusChange,
    WorkPeriod,
)
from .workflow import Transition, available_transitions, jurisdiction_prefix

State = Application.State


def applications_visible_to(user: User) -> QuerySet[Application]:
    """Every application ``user`` may open, by role; nothing for anyone else."""
    qs = Application.objects.select_related("institution", "institution__region", "physician")
    if user.role == Role.PHYSICIAN:
        return qs.filter(physician=user)
    if user.role == Role.INSTITUTION and user.institution_id:
        # Only what was submitted at least once: a draft the physician withdrew never reached the institution.
        return qs.filter(institution_id=user.institution_id, submitted_at__isnull=False).exclude(state=State.DRAFT)
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


@dataclass(frozen=True)
class Dossier:
    """Everything a detail page shows of one application, read once."""

    application: Application
    timeline: list[StatusChange]
    documents: list[Document]
    work_periods: list[WorkPeriod]
    sites: list[PracticeSite]
    step: str
    clock: dict | None
    # The paper materials the type needs (``checklists.checklist_for``): every party sees the same list.
    paper_checklist: list
    # The moves the user may make now, by name (``workflow.TRANSITIONS``): the page's buttons.
    actions: dict[str, Transition]

    def as_context(self) -> dict:
        """The template context of a detail page."""
        return {
            "dossier": self,
            "application": self.application,
            "timeline": self.timeline,
            "documents": self.documents,
            "work_periods": self.work_periods,
            "sites": self.sites,
            "current_step": self.step,
            "clock": self.clock,
            "paper_checklist": self.paper_checklist,
            "actions": self.actions,
        }


def application_dossier(*, user: User, pk: int) -> Dossier:
    """The application ``user`` asked for (404 when not theirs to see), with what its detail page shows."""
    application = get_object_or_404(applications_visible_to(user).select_related("registration"), pk=pk)
    registration = application.registration
    return Dossier(
        application=application,
        timeline=list(application.status_changes.select_related("actor").order_by("created_at", "pk")),
        documents=list(application.documents.all()),
        work_periods=list(application.work_periods.all()),
        sites=list(registration.sites.select_related("institution")) if registration is not None else [],
        step=presentation.current_step(application),
        clock=presentation.decision_clock(application),
        paper_checklist=checklist_for(application),
        actions={t.name: t for t in available_transitions(application=application, user=user)},
    )


def application_get_by_number(*, user: User, number: str) -> Application:
    """By the number as typed, or by the verification URL a scanner reads from the review form's QR code."""
    scanned = scanned_document(number)
    if scanned is not None and scanned.kind == REVIEW_FORM:
        return application_get(user=user, pk=scanned.id)
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


def deciding_authority(institution: Institution | None) -> Authority | None:
    """The authority an institution's applications go to: the most specific one whose jurisdiction holds it.

    A district's office before its city's, a city's before its province's (as for registration windows).
    """
    if institution is None:
        return None
    code = institution.region_id
    candidates = [code, code[:4] + "00", code[:2] + "0000"]
    found: dict[str, Authority] = {}
    for authority in Authority.objects.filter(region_id__in=candidates).order_by("pk"):
        found.setdefault(authority.region_id, authority)
    return next((found[c] for c in candidates if c in found), None)


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
    """The combinable search of the institution and authority lists; empty values are ignored.

    Every condition is one an index answers: the name by prefix (a clerk types the surname
    first, or the whole name), the ID number with the predicate of the partial unique index
    on physician accounts, the submission dates as a range of the stored timestamps (a
    ``__date`` lookup would compute a date for every row).
    """
    if filters.get("name"):
        qs = qs.filter(name__startswith=filters["name"].strip())
    if filters.get("id_number"):
        qs = qs.filter(
            physician__in=User.objects.filter(role=Role.PHYSICIAN, id_number=filters["id_number"].strip().upper())
            .exclude(id_number="")
            .values("pk")
        )
    if filters.get("number"):
        qs = qs.filter(number=normalize_application_number(filters["number"]))
    if filters.get("type"):
        qs = qs.filter(type=filters["type"])
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("submitted_from"):
        qs = qs.filter(submitted_at__gte=local_midnight(filters["submitted_from"]))
    if filters.get("submitted_to"):
        qs = qs.filter(submitted_at__lt=local_midnight(filters["submitted_to"] + datetime.timedelta(days=1)))
    return qs.order_by("submitted_at", "pk")


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The start of ``day`` in the site's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


# ---- The physician's own records ------------------------------------------------


def open_application_for(physician: User) -> Application | None:
    """The physician's one open application (draft, waiting or returned), if any."""
    return physician.applications.filter(state__in=OPEN_STATES).order_by("-created_at").first()


def registration_in_force(physician: User) -> Registration | None:
    """The registration an application of the physician concerns: the latest one in force.

    A registration added in another practice area (增加注册) is chosen only when the one it was added to has ended.
    """
    return (
        Registration.objects.filter(physician=physician, state=Registration.State.ACTIVE)
        .select_related("institution")
        .order_by(F("additional_to").asc(nulls_first=True), "-effective_on", "-pk")
        .first()
    )


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


# Moved to ``presentation``; re-exported until the branches in flight have moved their imports.
from .presentation import (  # noqa: E402, F401
    DECISION_WORKING_DAYS,
    add_working_days,
    current_step,
    decision_clock,
    mask_id_number,
    working_days_between,
)

# ---- The register (SPEC section 9) ---------------------------------------------


def registrations_visible_to(user: User) -> QuerySet[Registration]:
    """A clerk sees the registrations whose main institution or issuing authority is in the jurisdiction."""
    qs = Registration.objects.select_related("physician", "institution", "authority", "ground", "practice_area")
    if (prefix := jurisdiction_prefix(user)) is not None:
        return qs.filter(
            Q(institution__region__code__startswith=prefix) | Q(authority__region__code__startswith=prefix)
        )
    if user.role == Role.PHYSICIAN:
        return qs.filter(physician=user)
    return qs.none()


def registration_get(*, user: User, pk: int) -> Registration:
    return get_object_or_404(registrations_visible_to(user), pk=pk)


def registrations_search(qs: QuerySet[Registration], *, query: str = "", state: str = "") -> QuerySet[Registration]:
    """Narrow by a prefix, and by state: digits (typed with spaces or full-width) are the start of the
    certificate code, anything else the start of the physician's name — never both ORed, so that
    each is one index range (the code's unique index, ``registration_name_prefix``)."""
    typed = "".join((query or "").split())
    digits = unicodedata.normalize("NFKC", typed)
    if digits.isascii() and digits.isdigit():
        qs = qs.filter(certificate_code__startswith=digits)
    elif typed:
        qs = qs.filter(name__startswith=typed)
    if state:
        qs = qs.filter(state=state)
    return qs


def registrations_on_record(user: User) -> QuerySet[Registration]:
    """A physician's registrations as the register shows them: in force, suspended, cancelled or revoked."""
    if user.role != Role.PHYSICIAN:
        return Registration.objects.none()
    return (
        Registration.objects.filter(physician=user)
        .exclude(state=Registration.State.SUPERSEDED)
        .select_related("institution", "authority", "ground", "practice_area")
        .prefetch_related("sites__institution")
        .order_by("-effective_on", "-pk")
    )


def practice_sites_visible_to(user: User) -> QuerySet[PracticeSite]:
    """A physician sees the filings of their registrations; an institution's staff the filings at it."""
    qs = PracticeSite.objects.select_related("registration__physician", "registration__institution", "institution")
    if user.role == Role.PHYSICIAN:
        return qs.filter(registration__physician=user)
    if user.role == Role.INSTITUTION and user.institution_id:
        return qs.filter(institution_id=user.institution_id)
    return qs.none()


def practice_site_get(*, user: User, pk: int) -> PracticeSite:
    return get_object_or_404(practice_sites_visible_to(user), pk=pk)
