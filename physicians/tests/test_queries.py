"""The number of SQL queries of the physician's main pages is pinned: it must not grow with the data."""

import pytest
from django.urls import reverse

from docregistry.registrations import services
from docregistry.registrations.models import Document

from .helpers import pdf

pytestmark = pytest.mark.django_db

# Session and user, then: home = open application, registrations, their sites, qualifications;
# detail and edit read the application, its registration, documents, work periods (and timeline or scopes);
# the edit page of a returned application also reads the reason it was returned; the detail page also reads
# the type's paper checklist.
HOME_QUERIES = 6
LIST_QUERIES = 3
DETAIL_QUERIES = 8
EDIT_QUERIES = 8


@pytest.fixture
def busy_world(world):
    """A physician with an approved registration (and its timeline) and an open returned application."""
    world.approved()
    registration = world.physician.registrations.get()
    for _ in range(3):
        application = world.draft(type="multi_site", registration=registration, scope="内科专业")
        services.application_withdraw(application=application, actor=world.physician)
    application = world.draft(type="change", registration=registration)
    services.document_add(application=application, actor=world.physician, kind=Document.Kind.OTHER, file=pdf())
    services.document_add(application=application, actor=world.physician, kind=Document.Kind.OTHER, file=pdf())
    services.application_update(
        application=application,
        actor=world.physician,
        data={},
        work_periods=[
            {
                "starts_on": registration.effective_on.replace(year=2019),
                "ends_on": None,
                "employer": "甲",
                "position": "",
            }
        ],
    )
    application = services.application_submit(application=application, actor=world.physician)
    services.application_return_by_institution(application=application, actor=world.staff, comment="请补充")
    world.open_application = application
    return world


def test_home(phys_client, busy_world, django_assert_num_queries):
    with django_assert_num_queries(HOME_QUERIES):
        response = phys_client.get(reverse("physicians:index"))
    assert response.status_code == 200


def test_application_list(phys_client, busy_world, django_assert_num_queries):
    with django_assert_num_queries(LIST_QUERIES):
        response = phys_client.get(reverse("physicians:applications"))
    assert len(response.context["rows"]) == 5


def test_application_detail(phys_client, busy_world, django_assert_num_queries):
    url = reverse("physicians:application_detail", args=[busy_world.open_application.pk])
    with django_assert_num_queries(DETAIL_QUERIES):
        response = phys_client.get(url)
    assert len(response.context["timeline"]) == 2


def test_application_edit(phys_client, busy_world, django_assert_num_queries):
    url = reverse("physicians:application_edit", args=[busy_world.open_application.pk])
    with django_assert_num_queries(EDIT_QUERIES):
        response = phys_client.get(url)
    assert len(response.context["documents"]) == 2
