"""The FHIR R4 read API (IHE mCSD): every resource it returns validated with the fhir.resources models.

fhir.resources 8 ships R4B (4.3.0) beside R5; for Practitioner, PractitionerRole, Organization,
Location, Bundle, CapabilityStatement and OperationOutcome R4B is R4 (4.0.1) unchanged.
"""

import datetime
import json

import pytest
from django.test import override_settings
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from docregistry.registrations.models import PracticeSite
from publicregister.tests.helpers import cancelled, registered
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db
MODELS = {
    "Practitioner": Practitioner,
    "PractitionerRole": PractitionerRole,
    "Organization": Organization,
    "Location": Location,
    "OperationOutcome": OperationOutcome,
    "CapabilityStatement": CapabilityStatement,
}
CODE_SYSTEM = "urn:docregistry:practice-certificate-code"


def fhir_get(client, path, params=None, status=200, ip="192.0.2.10"):
    response = client.get(path, params or {}, REMOTE_ADDR=ip)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/fhir+json")
    data = json.loads(response.content)
    if data["resourceType"] == "Bundle":
        Bundle.model_validate(data)
        for entry in data.get("entry", []):
            MODELS[entry["resource"]["resourceType"]].model_validate(entry["resource"])
    else:
        MODELS[data["resourceType"]].model_validate(data)
    return data, response.content.decode()


def assert_private_data_absent(text, world):
    physician = world.physician
    for private in (physician.id_number, physician.mobile, physician.email):
        assert private not in text


def test_metadata_is_a_capability_statement_for_the_four_mcsd_resources(client, world):
    data, _ = fhir_get(client, "/fhir/metadata")
    assert data["fhirVersion"] == "4.0.1"
    assert data["format"] == ["application/fhir+json"]
    kinds = {r["type"]: {p["name"] for p in r["searchParam"]} for r in data["rest"][0]["resource"]}
    assert set(kinds) == {"Practitioner", "PractitionerRole", "Organization", "Location"}
    assert {"identifier", "name", "organization", "active", "_lastUpdated"} <= kinds["Practitioner"]


def test_a_practitioner_is_found_by_certificate_code_and_read_by_its_id(client, world):
    registration = registered(world)

    bundle, text = fhir_get(
        client, "/fhir/Practitioner", {"identifier": f"{CODE_SYSTEM}|{registration.certificate_code}"}
    )

    assert bundle["total"] == 1
    practitioner = bundle["entry"][0]["resource"]
    assert practitioner["name"][0]["text"] == "张伟"
    assert practitioner["identifier"][0] == {
        "use": "official",
        "system": CODE_SYSTEM,
        "value": registration.certificate_code,
        "period": {"start": registration.effective_on.isoformat()},
    }
    assert practitioner["active"] is True
    assert "gender" not in practitioner and "birthDate" not in practitioner
    assert_private_data_absent(text, world)
    read, text = fhir_get(client, f"/fhir/Practitioner/{practitioner['id']}")
    assert read["id"] == practitioner["id"]
    assert_private_data_absent(text, world)


def test_practitioner_ids_cannot_be_guessed_or_counted_through(client, world):
    registered(world)
    practitioner_id = fhir_get(
        client, "/fhir/Practitioner", {"name": "张伟", "organization": f"inst-{world.institution.pk}"}
    )[0]["entry"][0]["resource"]["id"]
    number, tag = practitioner_id.split("-")
    guessed = f"p{int(number[1:]) + 1}-{tag}"
    fhir_get(client, f"/fhir/Practitioner/{guessed}", status=404)
    fhir_get(client, f"/fhir/Practitioner/{number}", status=404)


@pytest.mark.parametrize("params", [{}, {"name": "张伟"}, {"active": "true"}, {"_lastUpdated": "ge2020-01-01"}])
def test_a_search_as_broad_as_a_listing_is_refused(client, world, params):
    registered(world)
    for kind in ("Practitioner", "PractitionerRole"):
        outcome, text = fhir_get(client, f"/fhir/{kind}", params, status=400)
        assert outcome["issue"][0]["code"] == "too-costly"
        assert "张伟" not in text


def test_roles_at_the_main_institution_and_a_filed_site(client, world):
    registration = registered(world)
    site_institution = InstitutionFactory(name="北京市朝阳区社区卫生服务中心")
    PracticeSite.objects.create(
        registration=registration,
        institution=site_institution,
        scope="内科专业",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
    )
    practitioner = fhir_get(client, "/fhir/Practitioner", {"identifier": registration.certificate_code})[0]["entry"][0][
        "resource"
    ]

    bundle, text = fhir_get(client, "/fhir/PractitionerRole", {"practitioner": f"Practitioner/{practitioner['id']}"})

    roles = {e["resource"]["organization"]["reference"]: e["resource"] for e in bundle["entry"]}
    assert set(roles) == {f"Organization/inst-{world.institution.pk}", f"Organization/inst-{site_institution.pk}"}
    assert roles[f"Organization/inst-{site_institution.pk}"]["period"] == {"start": "2026-01-01", "end": "2027-12-31"}
    assert all(r["practitioner"]["reference"] == f"Practitioner/{practitioner['id']}" for r in roles.values())
    at_site = fhir_get(
        client, "/fhir/PractitionerRole", {"name": "张伟", "organization": f"Organization/inst-{site_institution.pk}"}
    )[0]
    assert [e["resource"]["location"][0]["reference"] for e in at_site["entry"]] == [
        f"Location/inst-{site_institution.pk}"
    ]
    role_id = at_site["entry"][0]["resource"]["id"]
    assert fhir_get(client, f"/fhir/PractitionerRole/{role_id}")[0]["id"] == role_id
    assert_private_data_absent(text, world)


def test_active_and_last_updated_follow_a_cancellation(client, world):
    registration = registered(world)
    today = timezone.localdate()
    code = registration.certificate_code
    assert fhir_get(client, "/fhir/Practitioner", {"identifier": code, "active": "false"})[0]["total"] == 0
    cancelled(world, registration)

    assert fhir_get(client, "/fhir/Practitioner", {"identifier": code, "active": "true"})[0]["total"] == 0
    role = fhir_get(client, "/fhir/PractitionerRole", {"identifier": code, "active": "false"})[0]["entry"][0][
        "resource"
    ]
    assert role["active"] is False and role["period"]["end"] == today.isoformat()
    assert (
        fhir_get(client, "/fhir/PractitionerRole", {"identifier": code, "_lastUpdated": f"ge{today}"})[0]["total"] == 1
    )
    tomorrow = today + datetime.timedelta(days=1)
    assert (
        fhir_get(client, "/fhir/PractitionerRole", {"identifier": code, "_lastUpdated": f"ge{tomorrow}"})[0]["total"]
        == 0
    )


def test_organizations_page_with_count_and_next_links_until_every_one_is_seen(client, world):
    for n in range(6):
        InstitutionFactory(name=f"分页医院{n}")
    expected = {f"inst-{pk}" for pk in type(world.institution).objects.values_list("pk", flat=True)}
    seen, url, params, pages = [], "/fhir/Organization", {"_count": 3}, 0
    while url:
        bundle, _ = fhir_get(client, url, params)
        pages += 1
        assert bundle["total"] == len(expected)
        seen += [e["resource"]["id"] for e in bundle["entry"]]
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        url = following[0].split("testserver", 1)[1] if following else None
        params = None
    assert pages == -(-len(expected) // 3)
    assert sorted(seen) == sorted(expected)


def test_organization_and_location_by_registration_number_name_and_active(client, world):
    institution = world.institution
    bundle, _ = fhir_get(client, "/fhir/Organization", {"identifier": institution.registration_number})
    organization = bundle["entry"][0]["resource"]
    assert organization["identifier"][0] == {
        "system": "urn:docregistry:institution-registration-number",
        "value": institution.registration_number,
    }
    assert fhir_get(client, "/fhir/Organization", {"name": institution.name, "active": "false"})[0]["total"] == 0
    location = fhir_get(client, "/fhir/Location", {"organization": f"Organization/inst-{institution.pk}"})[0]["entry"][
        0
    ]["resource"]
    assert location["managingOrganization"]["reference"] == f"Organization/inst-{institution.pk}"
    assert fhir_get(client, f"/fhir/Location/{location['id']}")[0]["name"] == institution.name
    assert fhir_get(client, f"/fhir/Organization/auth-{world.authority.pk}")[0]["name"] == world.authority.name
    fhir_get(client, "/fhir/Organization/inst-999999", status=404)


def test_bad_parameters_get_an_operation_outcome(client, world):
    fhir_get(client, "/fhir/Organization", {"_lastUpdated": "gelast-week"}, status=400)
    fhir_get(client, "/fhir/Organization", {"active": "maybe"}, status=400)
    fhir_get(client, "/fhir/Organization", {"_count": "many"}, status=400)


@override_settings(PUBLIC_THROTTLE={"lookup": (20, 86400), "fhir": (2, 86400)})  # no window ends mid-test
def test_the_api_is_throttled_per_client_address(client, world):
    fhir_get(client, "/fhir/metadata", ip="192.0.2.99")
    fhir_get(client, "/fhir/metadata", ip="192.0.2.99")
    outcome, _ = fhir_get(client, "/fhir/metadata", ip="192.0.2.99", status=429)
    assert outcome["issue"][0]["code"] == "throttled"
    fhir_get(client, "/fhir/metadata", ip="192.0.2.100")
