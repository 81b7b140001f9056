"""The admin lists read a fixed number of queries however many rows they show."""

import pytest
from django.urls import reverse

from docregistry.accounts.models import Role
from docregistry.registrations.models import Institution, Notification
from tests.factories import (
    AuthorityFactory,
    InstitutionFactory,
    PhysicianFactory,
    StaffFactory,
    UserFactory,
    application_for,
)

LISTS = [
    "admin:registrations_application_changelist",
    "admin:registrations_institution_changelist",
    "admin:registrations_notification_changelist",
    "admin:registrations_registration_changelist",
    "admin:registrations_institutionreport_changelist",
    "admin:accounts_user_changelist",
]


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(role=Role.PHYSICIAN, is_staff=True, is_superuser=True, username="root"))
    return client


def add_rows(count: int) -> None:
    import datetime

    from docregistry.registrations.models import Registration
    from docregistry.registrations.register_models import InstitutionReport, RegistrationChange

    for _ in range(count):
        institution = InstitutionFactory()
        staff = StaffFactory(institution=institution)
        physician = PhysicianFactory()
        serial = Institution.objects.count()
        application_for(physician, institution, number=f"2026-110105-{serial:06d}")
        Notification.objects.create(channel="sms", recipient="13800000000", body="x")
        registration = Registration.objects.create(
            physician=physician,
            certificate_code=f"110110105{serial:06d}",
            institution=institution,
            authority=AuthorityFactory(),
            level="physician",
            category="clinical",
            scope="内科专业",
            effective_on=datetime.date(2026, 1, 1),
        )
        RegistrationChange.objects.create(registration=registration, actor_role="system", to_state="active")
        InstitutionReport.objects.create(
            registration=registration,
            institution=institution,
            kind=InstitutionReport.Kind.DEPARTURE,
            reason=InstitutionReport.Reason.TRANSFER,
            occurred_on=datetime.date(2026, 11, 1),
            reported_by=staff,
        )


@pytest.mark.parametrize("name", LISTS)
def test_admin_list_queries_do_not_grow_with_rows(admin_client, name, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    add_rows(1)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(reverse(name)).status_code == 200
    add_rows(6)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = admin_client.get(reverse(name))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 7


def test_admin_application_search_by_exact_number_or_name_start(admin_client):
    institution = InstitutionFactory()
    application = application_for(PhysicianFactory(real_name="欧阳靖宇"), institution, number="2026-110105-000777")
    url = reverse("admin:registrations_application_changelist")
    assert list(admin_client.get(url, {"q": "2026-110105-000777"}).context["cl"].result_list) == [application]
    assert list(admin_client.get(url, {"q": "欧阳"}).context["cl"].result_list) == [application]
    assert list(admin_client.get(url, {"q": "靖宇"}).context["cl"].result_list) == []


def test_admin_application_search_by_number_as_typed_asks_only_the_number(admin_client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    institution = InstitutionFactory()
    application = application_for(PhysicianFactory(), institution, number="2026-110105-000778")
    url = reverse("admin:registrations_application_changelist")
    with CaptureQueriesContext(connection) as queries:
        found = admin_client.get(url, {"q": " ２０２６ 110105 000778 "}).context["cl"].result_list
    assert list(found) == [application]
    searched = [q["sql"] for q in queries.captured_queries if '"registrations_application"."number" =' in q["sql"]]
    assert searched and not any("LIKE" in sql for sql in searched)


# The lists that grow with the data: counted up to a cap, 50 rows a page.
GROWING = [
    "admin:registrations_application_changelist",
    "admin:registrations_notification_changelist",
    "admin:registrations_registration_changelist",
    "admin:registrations_institutionreport_changelist",
    "admin:accounts_user_changelist",
]


@pytest.mark.parametrize("name", GROWING)
def test_admin_list_counts_up_to_a_cap(admin_client, monkeypatch, name):
    from docregistry.registrations import pagination

    monkeypatch.setattr(pagination, "ADMIN_COUNT_CAP", 3)
    add_rows(5)
    response = admin_client.get(reverse(name))
    assert response.context["cl"].result_count == 4  # the cap and one: "more than 3"
    assert len(response.context["cl"].result_list) >= 5  # the page itself is not cut


def test_the_outbox_list_shows_50_a_page_newest_first(admin_client):
    Notification.objects.bulk_create(
        Notification(channel="sms", recipient="13800000000", body=f"第{n}条") for n in range(60)
    )
    newest = Notification.objects.order_by("-pk").first()
    rows = admin_client.get(reverse("admin:registrations_notification_changelist")).context["cl"].result_list
    assert len(rows) == 50 and rows[0] == newest


def test_the_register_in_admin_shows_each_change_and_edits_nothing(admin_client, world):
    from docregistry.registrations.models import Registration

    registration = world.approved().physician.registrations.get()
    page = admin_client.get(reverse("admin:registrations_registration_change", args=[registration.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert registration.certificate_code in body
    assert registration.changes.get().get_to_state_display() in body  # its audit row
    assert 'name="_save"' not in body
    delete = reverse("admin:registrations_registration_delete", args=[registration.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Registration.objects.filter(pk=registration.pk).exists()
