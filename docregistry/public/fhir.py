"""The register as FHIR R4 resources, following IHE mCSD (Practitioner, PractitionerRole, Organization, Location).

Institutions are ``Organization`` ``inst-<pk>`` (identifier: 登记号) with one ``Location`` of the
same id (their site); authorities are ``Organization`` ``auth-<pk>``. A physician is a
``Practitioner``; each registration is a ``PractitionerRole`` at its main institution and each
filed site a further one. Practitioner and PractitionerRole ids are opaque (a keyed hash
follows the number), so they cannot be counted through.

The same privacy as the public lookup: no ID number, mobile, e-mail or address of a
physician, no sex or birth date; a practitioner is found only by a certificate code, or by
name together with an institution or a code — never listed.
"""

import datetime
import hmac

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from docregistry.accounts.models import User
from docregistry.registrations.models import Authority, Institution, PracticeSite, Registration

from . import register

FHIR_VERSION = "4.0.1"
MCSD = "https://profiles.ihe.net/ITI/mCSD/StructureDefinition/"


def system(name: str) -> str:
    """Identifier systems: stable URIs, documented in the README."""
    return f"{settings.FHIR_IDENTIFIER_BASE}:{name}"


CERTIFICATE_CODE = "practice-certificate-code"  # 医师执业证书编码, 15 digits
INSTITUTION_NUMBER = "institution-registration-number"  # 医疗机构登记号
REGION_CODE = "region-code"  # GB/T 2260 administrative division of an authority


# ---- Opaque ids ------------------------------------------------------------------------


def opaque_id(prefix: str, pk: int) -> str:
    tag = salted_hmac("docregistry.fhir.id", f"{prefix}{pk}").hexdigest()[:12]
    return f"{prefix}{pk}-{tag}"


def opaque_pk(prefix: str, value: str) -> int | None:
    head, _, tag = value.partition("-")
    if not head.startswith(prefix) or not head[len(prefix) :].isdigit():
        return None
    pk = int(head[len(prefix) :])
    return pk if hmac.compare_digest(opaque_id(prefix, pk), value) else None


def plain_pk(prefix: str, value: str) -> int | None:
    value = value.split("/")[-1]
    return int(value[len(prefix) :]) if value.startswith(prefix) and value[len(prefix) :].isdigit() else None


def _instant(value) -> str:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    moment = datetime.datetime.combine(value, datetime.time.min, tzinfo=timezone.get_current_timezone())
    return moment.isoformat(timespec="seconds")


def _meta(profile: str, updated) -> dict:
    return {"profile": [MCSD + profile], "lastUpdated": _instant(updated)}


# ---- Resources -------------------------------------------------------------------------


def registration_updated(registration: Registration) -> datetime.date:
    return max(d for d in (registration.effective_on, registration.ended_on) if d is not None)


def organization_of_institution(institution: Institution) -> dict:
    return {
        "resourceType": "Organization",
        "id": f"inst-{institution.pk}",
        "meta": _meta("IHE.mCSD.Organization", institution.created_at),
        "identifier": [{"system": system(INSTITUTION_NUMBER), "value": institution.registration_number}],
        "active": institution.is_active,
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "prov",
                        "display": "Healthcare Provider",
                    }
                ],
                "text": "医疗机构",
            }
        ],
        "name": institution.name,
        "address": [{"text": institution.address, "postalCode": institution.postcode, "country": "CN"}],
    }


def organization_of_authority(authority: Authority) -> dict:
    return {
        "resourceType": "Organization",
        "id": f"auth-{authority.pk}",
        "meta": {"profile": [MCSD + "IHE.mCSD.Organization"]},
        "identifier": [{"system": system(REGION_CODE), "value": authority.region_id}],
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "govt",
                        "display": "Government",
                    }
                ],
                "text": "卫生健康行政部门",
            }
        ],
        "name": authority.name,
    }


def location_of_institution(institution: Institution) -> dict:
    return {
        "resourceType": "Location",
        "id": f"inst-{institution.pk}",
        "meta": _meta("IHE.mCSD.Location", institution.created_at),
        "identifier": [{"system": system(INSTITUTION_NUMBER), "value": institution.registration_number}],
        "status": "active" if institution.is_active else "inactive",
        "name": institution.name,
        "mode": "instance",
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                        "code": "HOSP",
                        "display": "Hospital",
                    }
                ]
            }
        ],
        "address": {"text": institution.address, "postalCode": institution.postcode, "country": "CN"},
        "managingOrganization": {"reference": f"Organization/inst-{institution.pk}", "display": institution.name},
    }


def practitioner(physician: User, registrations: list[Registration]) -> dict:
    """A physician, identified by the certificate codes of their registrations (no ID number)."""
    updated = max((registration_updated(r) for r in registrations), default=physician.date_joined.date())
    return {
        "resourceType": "Practitioner",
        "id": opaque_id("p", physician.pk),
        "meta": _meta("IHE.mCSD.Practitioner", updated),
        "identifier": [
            {
                "use": "official" if register.is_in_force(r) else "old",
                "system": system(CERTIFICATE_CODE),
                "value": r.certificate_code,
                "period": _period(r.effective_on, r.ended_on),
            }
            for r in registrations
        ],
        "active": any(register.is_in_force(r) for r in registrations),
        "name": [{"use": "official", "text": physician.real_name}],
        "qualification": [
            {
                "identifier": [{"system": system(CERTIFICATE_CODE), "value": r.certificate_code}],
                "code": {"text": f"{r.get_level_display()} · {r.get_category_display()}"},
                "period": _period(r.effective_on, r.ended_on),
                "issuer": {"reference": f"Organization/auth-{r.authority_id}", "display": r.authority.name},
            }
            for r in registrations
        ],
    }


def _period(start, end) -> dict:
    period = {"start": start.isoformat()}
    if end:
        period["end"] = end.isoformat()
    return period


def _role(
    *, rid: str, registration: Registration, institution: Institution, scopes: list[str], start, end, active
) -> dict:
    return {
        "resourceType": "PractitionerRole",
        "id": rid,
        "meta": _meta(
            "IHE.mCSD.PractitionerRole", max(d for d in (start, end, registration_updated(registration)) if d)
        ),
        "identifier": [{"system": system(CERTIFICATE_CODE), "value": registration.certificate_code}],
        "active": active,
        "period": _period(start, end),
        "practitioner": {
            "reference": f"Practitioner/{opaque_id('p', registration.physician_id)}",
            "display": registration.physician.real_name,
        },
        "organization": {"reference": f"Organization/inst-{institution.pk}", "display": institution.name},
        "location": [{"reference": f"Location/inst-{institution.pk}", "display": institution.name}],
        "code": [{"text": f"{registration.get_level_display()} · {registration.get_category_display()}"}],
        "specialty": [{"text": scope} for scope in scopes],
    }


def role_of_registration(registration: Registration) -> dict:
    return _role(
        rid=opaque_id("r", registration.pk),
        registration=registration,
        institution=registration.institution,
        scopes=register.registration_scopes(registration),
        start=registration.effective_on,
        end=registration.ended_on,
        active=register.is_in_force(registration),
    )


def role_of_site(site: PracticeSite) -> dict:
    today = timezone.localdate()
    registration = site.registration
    return _role(
        rid=opaque_id("s", site.pk),
        registration=registration,
        institution=site.institution,
        scopes=[site.scope],
        start=site.starts_on,
        end=site.ends_on,
        active=register.is_in_force(registration) and (site.ends_on is None or site.ends_on >= today),
    )


# ---- Search ----------------------------------------------------------------------------


class SearchError(ValueError):
    """A search the API does not answer (too broad, or a malformed parameter)."""


def _date_filter(field: str, values: list[str]) -> Q:
    """``_lastUpdated=ge2026-01-01`` and friends (eq, gt, ge, lt, le; a date or a date-time)."""
    condition = Q()
    lookups = {"eq": "", "gt": "__gt", "ge": "__gte", "lt": "__lt", "le": "__lte"}
    for raw in values:
        prefix = raw[:2] if raw[:2] in lookups else "eq"
        text = raw[2:] if raw[:2] in lookups else raw
        try:
            day = datetime.date.fromisoformat(text[:10])
        except ValueError:
            raise SearchError(f"_lastUpdated: not a date: {raw}") from None
        if prefix == "eq":
            condition &= Q(**{field: day})
        else:
            condition &= Q(**{f"{field}{lookups[prefix]}": day})
    return condition


def _bool(value: str) -> bool:
    if value not in ("true", "false"):
        raise SearchError(f"active: true or false, not {value}")
    return value == "true"


def _identifier(value: str, expected: str) -> str:
    sys_, bar, code = value.rpartition("|")
    if bar and sys_ and sys_ != system(expected):
        raise SearchError(f"identifier: unknown system {sys_}")
    return code


def institutions_search(params: dict[str, list[str]]) -> QuerySet[Institution]:
    qs = Institution.objects.select_related("region").order_by("pk")
    if "identifier" in params:
        qs = qs.filter(registration_number__in=[_identifier(v, INSTITUTION_NUMBER) for v in params["identifier"]])
    for name in params.get("name", []):
        qs = qs.filter(name__icontains=name)
    if "active" in params:
        qs = qs.filter(is_active=_bool(params["active"][0]))
    if "_lastUpdated" in params:
        qs = qs.filter(_date_filter("created_at__date", params["_lastUpdated"]))
    if "organization" in params:  # Location?organization=Organization/inst-1
        qs = qs.filter(pk__in=[plain_pk("inst-", v) or 0 for v in params["organization"]])
    return qs


def _specific(params: dict[str, list[str]]) -> None:
    """The public lookup's rule: a certificate code, or a name with an institution or a code."""
    if "identifier" in params or "practitioner" in params:
        return
    if "name" in params and "organization" in params:
        return
    raise SearchError(
        "too broad: search by identifier (a practice certificate code), or by name together with organization"
    )


def registrations_search(params: dict[str, list[str]]) -> QuerySet[Registration]:
    """Registrations matching a Practitioner or PractitionerRole search (the main institution's roles)."""
    _specific(params)
    qs = register.public_registrations().order_by("pk")
    if "identifier" in params:
        qs = qs.filter(certificate_code__in=[_identifier(v, CERTIFICATE_CODE) for v in params["identifier"]])
    for name in params.get("name", []):
        qs = qs.filter(physician__real_name=name.strip())
    if "organization" in params:
        pks = [plain_pk("inst-", v) or 0 for v in params["organization"]]
        qs = qs.filter(Q(institution_id__in=pks) | Q(sites__institution_id__in=pks)).distinct()
    if "practitioner" in params:
        qs = qs.filter(physician_id__in=[opaque_pk("p", v.split("/")[-1]) or 0 for v in params["practitioner"]])
    if "active" in params:
        in_force = Q(state=Registration.State.ACTIVE)
        qs = qs.filter(in_force) if _bool(params["active"][0]) else qs.exclude(in_force)
    if "_lastUpdated" in params:
        condition = _date_filter("effective_on", params["_lastUpdated"])
        ended = _date_filter("ended_on", params["_lastUpdated"])
        qs = qs.filter(condition | ended)
    return qs


def practitioners_search(params: dict[str, list[str]]) -> list[dict]:
    registrations = list(registrations_search(params))
    by_physician: dict[int, list[Registration]] = {}
    for r in registrations:
        by_physician.setdefault(r.physician_id, [])
    everything = register.public_registrations().filter(physician_id__in=by_physician).order_by("effective_on", "pk")
    physicians = {}
    for r in everything:
        by_physician[r.physician_id].append(r)
        physicians[r.physician_id] = r.physician
    return [practitioner(physicians[pk], regs) for pk, regs in by_physician.items()]


def practitioner_roles_search(params: dict[str, list[str]]) -> list[dict]:
    roles = []
    organization = {plain_pk("inst-", v) for v in params.get("organization", [])}
    for r in registrations_search(params):
        if not organization or r.institution_id in organization:
            roles.append(role_of_registration(r))
        for site in r.sites.all():
            if not organization or site.institution_id in organization:
                site.registration = r
                roles.append(role_of_site(site))
    return roles


def practitioner_get(value: str) -> dict | None:
    pk = opaque_pk("p", value)
    registrations = list(register.public_registrations().filter(physician_id=pk).order_by("effective_on", "pk"))
    return practitioner(registrations[0].physician, registrations) if registrations else None


def practitioner_role_get(value: str) -> dict | None:
    if (pk := opaque_pk("r", value)) is not None:
        registration = register.public_registrations().filter(pk=pk).first()
        return role_of_registration(registration) if registration else None
    if (pk := opaque_pk("s", value)) is not None:
        site = PracticeSite.objects.select_related("institution", "registration__physician").filter(pk=pk).first()
        return role_of_site(site) if site else None
    return None


def organization_get(value: str) -> dict | None:
    if (pk := plain_pk("inst-", value)) is not None:
        institution = Institution.objects.filter(pk=pk).first()
        return organization_of_institution(institution) if institution else None
    if (pk := plain_pk("auth-", value)) is not None:
        authority = Authority.objects.filter(pk=pk).first()
        return organization_of_authority(authority) if authority else None
    return None


def location_get(value: str) -> dict | None:
    pk = plain_pk("inst-", value)
    institution = Institution.objects.filter(pk=pk).first() if pk is not None else None
    return location_of_institution(institution) if institution else None
