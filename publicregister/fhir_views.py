"""``/fhir/``: the register as a FHIR R4 read API (IHE mCSD), JSON only (``application/fhir+json``)."""

import json
from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views import View

from docregistry.public import fhir

from .throttle import throttled

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
DEFAULT_COUNT, MAX_COUNT = 20, 100
PAGING = ("_count", "_offset", "_format")
SEARCH_PARAMS = {
    "Practitioner": ("identifier", "name", "organization", "active", "_lastUpdated"),
    "PractitionerRole": ("identifier", "name", "organization", "practitioner", "active", "_lastUpdated"),
    "Organization": ("identifier", "name", "active", "_lastUpdated"),
    "Location": ("identifier", "name", "organization", "_lastUpdated"),
}
READ = {
    "Practitioner": fhir.practitioner_get,
    "PractitionerRole": fhir.practitioner_role_get,
    "Organization": fhir.organization_get,
    "Location": fhir.location_get,
}


def fhir_response(resource: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(json.dumps(resource, ensure_ascii=False), content_type=CONTENT_TYPE, status=status)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def outcome(status: int, code: str, text: str) -> HttpResponse:
    return fhir_response(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": text}],
        },
        status=status,
    )


class FhirView(View):
    http_method_names = ["get", "head", "options"]

    def dispatch(self, request, *args, **kwargs):
        if throttled(request, scope="fhir"):
            return outcome(429, "throttled", "too many requests from this address; wait a minute")
        return super().dispatch(request, *args, **kwargs)

    def base(self) -> str:
        return self.request.build_absolute_uri(reverse("fhir:metadata")).rsplit("metadata", 1)[0]


class MetadataView(FhirView):
    def get(self, request):
        return fhir_response(
            {
                "resourceType": "CapabilityStatement",
                "status": "active",
                "date": timezone.localdate().isoformat(),
                "publisher": "docregistry",
                "kind": "instance",
                "software": {"name": "docregistry"},
                "implementation": {"description": "医师电子化注册系统 public register (IHE mCSD)", "url": self.base()},
                "fhirVersion": fhir.FHIR_VERSION,
                "format": ["application/fhir+json"],
                "rest": [
                    {
                        "mode": "server",
                        "resource": [
                            {
                                "type": kind,
                                "supportedProfile": [fhir.MCSD + f"IHE.mCSD.{kind}"],
                                "interaction": [{"code": "read"}, {"code": "search-type"}],
                                "searchParam": [
                                    {"name": name, "type": _param_type(name)} for name in SEARCH_PARAMS[kind]
                                ],
                            }
                            for kind in SEARCH_PARAMS
                        ],
                    }
                ],
            }
        )


def _param_type(name: str) -> str:
    return {
        "identifier": "token",
        "active": "token",
        "name": "string",
        "_lastUpdated": "date",
    }.get(name, "reference")


class SearchView(FhirView):
    kind = ""

    def get(self, request):
        params = {k: [v for v in values if v] for k, values in request.GET.lists() if k not in PAGING}
        params = {k: v for k, v in params.items() if v and k in SEARCH_PARAMS[self.kind]}
        try:
            count = min(max(int(request.GET.get("_count", DEFAULT_COUNT)), 1), MAX_COUNT)
            offset = max(int(request.GET.get("_offset", 0)), 0)
        except ValueError:
            return outcome(400, "invalid", "_count and _offset are whole numbers")
        try:
            total, resources = self.search(params, offset, count)
        except fhir.SearchError as error:
            return outcome(400, "too-costly" if "too broad" in str(error) else "invalid", str(error))
        return fhir_response(self.bundle(params, total, resources, offset, count))

    def search(self, params, offset, count):
        if self.kind == "Organization":
            qs = fhir.institutions_search(params)
            return qs.count(), [fhir.organization_of_institution(i) for i in qs[offset : offset + count]]
        if self.kind == "Location":
            qs = fhir.institutions_search(params)
            return qs.count(), [fhir.location_of_institution(i) for i in qs[offset : offset + count]]
        found = (
            fhir.practitioners_search(params) if self.kind == "Practitioner" else fhir.practitioner_roles_search(params)
        )
        return len(found), found[offset : offset + count]

    def bundle(self, params, total, resources, offset, count) -> dict:
        url = self.base() + self.kind

        def page(at: int) -> str:
            query = [(k, v) for k, values in params.items() for v in values] + [("_count", count), ("_offset", at)]
            return f"{url}?{urlencode(query)}"

        links = [{"relation": "self", "url": page(offset)}]
        if offset + count < total:
            links.append({"relation": "next", "url": page(offset + count)})
        if offset > 0:
            links.append({"relation": "previous", "url": page(max(offset - count, 0))})
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "link": links,
            "entry": [{"fullUrl": f"{url}/{r['id']}", "resource": r, "search": {"mode": "match"}} for r in resources],
        }


class ReadView(FhirView):
    kind = ""

    def get(self, request, id):
        resource = READ[self.kind](id)
        if resource is None:
            return outcome(404, "not-found", f"{self.kind}/{id} is not known")
        return fhir_response(resource)
