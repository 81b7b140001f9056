"""What anyone may read of the register (SPEC section 11, 医师法 art. 21), without logging in.

A physician is found only by name together with the practice certificate code, or with
the institution (its exact name or 登记号): there is no listing and no wildcard, and a
name alone finds nothing. What is shown never includes the ID number, mobile, e-mail or
address. The announcements list, per authority and month, who was granted and who was
cancelled.

The register's states are read generically (``Registration.state`` and its label), so a
state added to the model shows without a change here; the fields the register keeps for
some states (``suspended_until``, ``ground``) are used where the model has them.
"""

import datetime
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from docregistry.registrations.models import Authority, Institution, Region, Registration

MAX_RESULTS = 20  # a name and a code or an institution never match more than a handful


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def lookup_is_specific(*, name: str, code: str = "", institution: str = "") -> bool:
    """A lookup needs a name and a code or an institution; a name alone finds nothing."""
    return bool(_clean(name)) and bool(_clean(code) or _clean(institution))


def public_registrations() -> QuerySet[Registration]:
    """The registrations the public register shows, with what the page prints loaded at once."""
    return Registration.objects.select_related(
        "physician", "institution", "institution__region", "authority", "authority__region", "practice_area", "ground"
    ).prefetch_related("sites__institution")


def register_lookup(*, name: str, code: str = "", institution: str = "") -> list[Registration]:
    """The registrations of the physician called exactly ``name`` with that code or at that institution."""
    name, code, institution = _clean(name), _clean(code).replace(" ", ""), _clean(institution)
    if not lookup_is_specific(name=name, code=code, institution=institution):
        return []
    qs = public_registrations().filter(physician__real_name=name)
    if code:
        qs = qs.filter(certificate_code=code)
    if institution:
        named = Institution.objects.filter(Q(name=institution) | Q(registration_number=institution.upper()))
        qs = qs.filter(Q(institution__in=named) | Q(sites__institution__in=named)).distinct()
    return list(qs.order_by("-effective_on", "pk")[:MAX_RESULTS])


# ---- How one registration reads in public ------------------------------------------


def registration_scopes(registration: Registration) -> list[str]:
    """The registered practice scopes (several where the register keeps several)."""
    scopes = getattr(registration, "scopes", None)
    if scopes is not None and hasattr(scopes, "all"):
        names = [str(s) for s in scopes.all()]
        if names:
            return names
    return [s for s in (registration.scope or "").replace("、", ",").split(",") if s.strip()] or []


def practice_area(registration: Registration, *, regions: dict | None = None) -> Region | None:
    """执业地点 (办法 art. 8): the institution's province for a physician, its county for an assistant."""
    area = getattr(registration, "practice_area", None)
    if isinstance(area, Region):
        return area
    region = registration.institution.region
    if registration.level == "assistant":
        return region
    province = region.code[:2] + "0000"
    if regions is not None:
        return regions.get(province, region)
    return Region.objects.filter(code=province).first() or region


def _day(value: datetime.date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def registration_state_text(registration: Registration) -> str:
    """In force / suspended until … / cancelled on … (with the ground's short text) / revoked on …."""
    state = registration.state
    label = registration.get_state_display()
    ground = getattr(registration, "ground", None)
    ground_text = getattr(ground, "text", "") if ground is not None else ""
    if state == "suspended":
        until = getattr(registration, "suspended_until", None)
        text = _("Suspended until %(date)s") % {"date": _day(until)} if until else label
    elif state in ("cancelled", "revoked", "superseded") and registration.ended_on:
        text = _("%(state)s on %(date)s") % {"state": label, "date": _day(registration.ended_on)}
    else:
        text = label
    return f"{text}（{ground_text}）" if ground_text and state != Registration.State.ACTIVE else text


def is_in_force(registration: Registration) -> bool:
    return registration.state == Registration.State.ACTIVE


@dataclass
class PublicRecord:
    """One registration as the public register shows it: no ID number, mobile, e-mail or address."""

    name: str
    level: str
    category: str
    scopes: list[str]
    certificate_code: str
    institution: str
    institution_number: str
    practice_area: str
    authority: str
    state: str
    in_force: bool
    effective_on: datetime.date
    ended_on: datetime.date | None
    sites: list[dict] = field(default_factory=list)


def public_records(registrations: list[Registration]) -> list[PublicRecord]:
    """Each registration as the public sees it; the provinces (practice areas) read in one query."""
    provinces = {r.institution.region_id[:2] + "0000" for r in registrations}
    regions = {region.code: region for region in Region.objects.filter(code__in=provinces)}
    return [public_record(r, regions=regions) for r in registrations]


def public_record(registration: Registration, *, regions: dict | None = None) -> PublicRecord:
    area = practice_area(registration, regions=regions)
    return PublicRecord(
        name=registration.physician.real_name,
        level=registration.get_level_display(),
        category=registration.get_category_display(),
        scopes=registration_scopes(registration),
        certificate_code=registration.certificate_code,
        institution=registration.institution.name,
        institution_number=registration.institution.registration_number,
        practice_area=area.name if area else "",
        authority=registration.authority.name,
        state=registration_state_text(registration),
        in_force=is_in_force(registration),
        effective_on=registration.effective_on,
        ended_on=registration.ended_on,
        sites=[
            {"institution": s.institution.name, "scope": s.scope, "starts_on": s.starts_on, "ends_on": s.ends_on}
            for s in registration.sites.all()
        ],
    )


# ---- Announcements (公告) ------------------------------------------------------------


def announcement_authorities() -> QuerySet[Authority]:
    return Authority.objects.select_related("region").order_by("region_id", "name")


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(year, month, 1)
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return first, following


def _announced(*, authority: Authority, year: int, month: int) -> tuple[QuerySet, QuerySet]:
    """The registrations ``authority`` granted, and those cancelled, in that month, each in date order."""
    first, following = month_bounds(year, month)
    granted = public_registrations().filter(authority=authority, effective_on__gte=first, effective_on__lt=following)
    cancelled = public_registrations().filter(
        authority=authority, state__in=("cancelled", "revoked"), ended_on__gte=first, ended_on__lt=following
    )
    return granted.order_by("effective_on", "certificate_code"), cancelled.order_by("ended_on", "certificate_code")


def announcement(*, authority: Authority, year: int, month: int) -> dict:
    """The registrations ``authority`` granted and those cancelled in that month, each in date order."""
    granted, cancelled = _announced(authority=authority, year=year, month=month)
    return {
        "authority": authority,
        "year": year,
        "month": month,
        "granted": public_records(list(granted)),
        "cancelled": public_records(list(cancelled)),
    }


def announcement_records(
    *, authority: Authority, year: int, month: int, chunk_size: int = 500
) -> Iterator[tuple[bool, PublicRecord]]:
    """The announcement's records one by one, granted (``True``) then cancelled, read ``chunk_size``
    registrations at a time: what the CSV streams, in memory that does not grow with the month."""
    for is_granted, qs in zip((True, False), _announced(authority=authority, year=year, month=month), strict=True):
        chunk = []
        for registration in qs.iterator(chunk_size=chunk_size):
            chunk.append(registration)
            if len(chunk) == chunk_size:
                yield from ((is_granted, record) for record in public_records(chunk))
                chunk = []
        yield from ((is_granted, record) for record in public_records(chunk))
