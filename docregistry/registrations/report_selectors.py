"""Who sees what of the institutions' reports (SPEC section 9): the institution's 在职医师 and the authority's queue.

Another institution's physician, and another jurisdiction's report, answer ``Http404``.
"""

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from docregistry.accounts.models import Role, User

from .models import Authority, Institution, PracticeSite, Registration
from .register_models import InstitutionReport
from .workflow import jurisdiction_prefix

ON_RECORD = (Registration.State.ACTIVE, Registration.State.SUSPENDED)


def physicians_at_institution(user: User) -> QuerySet[Registration]:
    """在职医师: registrations in force or suspended whose main institution, or a filing in force, is the user's,
    the newest registration first.

    Each row carries ``sites_here`` (its filings in force at the institution) and ``departed_on``
    (the day the physician left, if the institution reported it as the main institution).
    """
    if user.role != Role.INSTITUTION or not user.institution_id:
        return Registration.objects.none()
    institution = user.institution_id
    here = PracticeSite.objects.filter(institution_id=institution, ended_on__isnull=True)
    # The filings here are few: read their registrations first, so that "main institution here OR filed
    # here" is two index lookups and not a subquery run against every registration.
    filed = list(here.values_list("registration_id", flat=True))
    departed = InstitutionReport.objects.filter(
        registration=OuterRef("pk"),
        kind=InstitutionReport.Kind.DEPARTURE,
        main=True,
        institution_id=institution,
    ).order_by("-occurred_on", "-pk")
    return (
        Registration.objects.filter(state__in=ON_RECORD)
        .filter(Q(institution_id=institution) | Q(pk__in=filed))
        .select_related("physician")
        .prefetch_related(Prefetch("sites", queryset=here.order_by("starts_on"), to_attr="sites_here"))
        .annotate(
            departed_on=Subquery(departed.values("occurred_on")[:1]),
            departed_reason=Subquery(departed.values("reason")[:1]),
        )
        .order_by("-effective_on", "-pk")
    )


def physician_at_institution_get(*, user: User, pk: int) -> Registration:
    return get_object_or_404(physicians_at_institution(user), pk=pk)


def reports_by_institution(user: User) -> QuerySet[InstitutionReport]:
    """The reports the user's institution made, newest first."""
    if user.role != Role.INSTITUTION or not user.institution_id:
        return InstitutionReport.objects.none()
    return (
        InstitutionReport.objects.filter(institution_id=user.institution_id)
        .select_related("registration__physician", "ground")
        .order_by("-reported_at", "-pk")
    )


def reports_visible_to(user: User) -> QuerySet[InstitutionReport]:
    """A clerk sees the reports on registrations in the jurisdiction (main institution or issuing authority)."""
    if user.role != Role.AUTHORITY or (prefix := jurisdiction_prefix(user)) is None:
        return InstitutionReport.objects.none()
    # The rule of ``registrations_visible_to`` (main institution or issuing authority in the
    # jurisdiction) over the two small tables, not ``registration IN (every visible registration)``:
    # the queue walks its index in order and stops after a page. Only what the pages show is joined
    # (each join more cost PostgreSQL 2-3 ms of planning per query).
    institutions = Institution.objects.filter(region__code__startswith=prefix).values("pk")
    authorities = Authority.objects.filter(region__code__startswith=prefix).values("pk")
    return InstitutionReport.objects.filter(
        Q(registration__institution__in=institutions) | Q(registration__authority__in=authorities)
    ).select_related("registration__physician", "institution", "ground")


def report_queue(user: User) -> QuerySet[InstitutionReport]:
    """The reports still waiting for the authority, oldest first."""
    return reports_visible_to(user).filter(outcome=InstitutionReport.Outcome.OPEN).order_by("reported_at", "pk")


def reports_handled(user: User) -> QuerySet[InstitutionReport]:
    """The reports the authority has handled, newest first."""
    return (
        reports_visible_to(user)
        .exclude(outcome=InstitutionReport.Outcome.OPEN)
        .filter(handled_at__isnull=False)
        .order_by("-handled_at", "-pk")
    )


def report_get(*, user: User, pk: int) -> InstitutionReport:
    return get_object_or_404(reports_visible_to(user), pk=pk)
