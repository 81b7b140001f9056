"""Reports read from the read replica when DATABASE_REPLICA_URL is set; everything else from the primary."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from docregistry.registrations.models import Application
from docregistry.replica import REPLICA, ReplicaRouter, replica_reads
from tests import factories

from .test_settings import _run

PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'aliases': sorted(s.DATABASES), 'replica': s.DATABASES.get('replica', {}).get('NAME'), "
    "'mirror': s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'), 'routers': s.DATABASE_ROUTERS}))"
)


def test_the_replica_url_adds_a_replica_the_router_and_tests_mirror_the_primary():
    import json

    result = _run(
        "docregistry.settings.dev",
        PROBE,
        DATABASE_URL="postgres://postgres@db1:5432/docregistry",
        DATABASE_REPLICA_URL="postgres://reader@db2:5432/docregistry",
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["aliases"] == ["default", "replica"]
    assert (found["replica"], found["mirror"]) == ("docregistry", "default")
    assert found["routers"] == ["docregistry.replica.ReplicaRouter"]
    without = json.loads(_run("docregistry.settings.dev", PROBE).stdout)
    assert without["aliases"] == ["default"]


@pytest.fixture
def replica(settings):
    """The test settings' stand-in replica (a mirror of the test database), with report routing on."""
    settings.REPLICA_VIEWS = ["authority:reports", "authority:report_csv", "authority:report_xlsx"]
    return connections[REPLICA]


def test_the_router_sends_reads_inside_replica_reads_to_the_replica(replica):
    router = ReplicaRouter()
    assert router.db_for_read(Application) is None
    with replica_reads():
        assert router.db_for_read(Application) == REPLICA
        assert router.db_for_write(Application) == "default"
        from docregistry.accounts.models import User

        assert router.db_for_read(User) is None  # who is asking: the primary, never behind
    assert router.allow_migrate(REPLICA, "registrations") is False
    assert router.allow_migrate("default", "registrations") is True


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_without_a_replica_everything_reads_the_primary(settings):
    settings.DATABASES = {"default": settings.DATABASES["default"]}
    with replica_reads():
        assert ReplicaRouter().db_for_read(Application) is None


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_the_report_page_reads_from_the_replica_and_other_pages_do_not(replica, client):
    world = factories.World.create()
    client.force_login(world.clerk)
    with CaptureQueriesContext(replica) as on_replica:
        page = client.get(reverse("authority:reports"))
    assert page.status_code == 200
    assert any("registrations_application" in q["sql"] for q in on_replica.captured_queries)
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(reverse("authority:index")).status_code == 200
    assert on_replica.captured_queries == []


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_beat_recomputes_the_reports_from_the_replica(replica):
    from docregistry.registrations.tasks import refresh_reports

    factories.World.create()
    with CaptureQueriesContext(replica) as on_replica:
        assert refresh_reports() == 1
    assert any("registrations_application" in q["sql"] for q in on_replica.captured_queries)
