"""Two staff members pressing approve and return at the same moment, through HTTP: one wins."""

import pytest
from django.test import Client
from django.urls import reverse

from docregistry.registrations.models import Application, StatusChange
from tests.concurrency import needs_postgres, race
from tests.factories import StaffFactory

pytestmark = needs_postgres


@pytest.mark.django_db(transaction=True)
def test_approve_and_return_at_once_one_wins_the_other_is_told(world):
    app = world.submitted()
    colleague = StaffFactory(institution=world.institution)
    requests = [
        (world.staff, "institutions:approve", {"comment": "同意"}),
        (colleague, "institutions:return", {"comment": "材料不全"}),
    ]
    clients = []
    for user, _name, _data in requests:
        client = Client()
        client.force_login(user)
        clients.append(client)
    posts = [
        lambda client=client, name=name, data=data: client.post(reverse(name, args=[app.pk]), data, follow=True)
        for client, (_user, name, data) in zip(clients, requests, strict=True)
    ]
    pages = [response.content.decode() for response in race(posts)]

    app.refresh_from_db()
    assert app.state in (Application.State.INSTITUTION_APPROVED, Application.State.RETURNED)
    assert StatusChange.objects.filter(application=app).exclude(from_state="draft").count() == 1
    told = [page for page in pages if "alert-danger" in page]
    assert len(told) == 1, "exactly one of the two is told the application was already handled"
