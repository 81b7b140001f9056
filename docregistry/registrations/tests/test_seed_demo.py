"""`seed_demo`: the demo world a newcomer signs in to, safe to run again."""

import io

import pytest
from django.core.management import call_command

from docregistry.accounts.models import User
from docregistry.registrations.demo import PASSWORD
from docregistry.registrations.models import Authority, Institution
from qualifications.models import Qualification
from qualifications.selectors import qualification_match
from tests.otp import pass_second_factor


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins():
    first = _seed()
    counts = (
        User.objects.count(),
        Institution.objects.count(),
        Authority.objects.count(),
        Qualification.objects.count(),
    )
    second = _seed()
    assert counts == (8, 2, 1, 5)  # 4 logins + 2 demo applicants + 2 registered physicians; 5 roster records
    assert (User.objects.count(), Institution.objects.count(), Authority.objects.count()) == counts[:3]
    assert Qualification.objects.count() == counts[3]
    for username in ["physician", "hospital", "clerk", "admin"]:
        assert username in first and username in second
    assert PASSWORD in first
    assert "http://127.0.0.1:8000/physician/login/" in first


@pytest.mark.django_db
def test_the_printed_logins_follow_the_port_the_site_is_served_on():
    out = io.StringIO()
    call_command("seed_demo", "--base-url", "http://127.0.0.1:8200/", stdout=out)
    assert "http://127.0.0.1:8200/institution/login/" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "login_url", "home"),
    [
        ("physician", "/physician/login/", "/physician/"),
        ("hospital", "/institution/login/", "/institution/"),
        ("clerk", "/authority/login/", "/authority/"),
    ],
)
def test_every_demo_login_opens_its_portal(client, username, login_url, home):
    _seed()
    response = client.post(login_url, {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == home
    if username != "physician":  # staff confirm a TOTP code after the password
        assert client.get(home).status_code == 302
        pass_second_factor(client, User.objects.get(username=username))
    assert client.get(home).status_code == 200


@pytest.mark.django_db
def test_the_demo_physician_has_a_matched_qualification():
    _seed()
    physician = User.objects.get(username="physician")
    assert qualification_match(name=physician.real_name, id_number=physician.id_number).count() == 1


@pytest.mark.django_db
def test_the_admin_account_opens_the_admin(client):
    _seed()
    assert client.login(username="admin", password=PASSWORD)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_the_queues_have_an_application_to_show(client):
    _seed()
    client.post("/institution/login/", {"username": "hospital", "password": PASSWORD})
    pass_second_factor(client, User.objects.get(username="hospital"))
    assert "阿依古丽·买买提" in client.get("/institution/").content.decode()
    client.post("/authority/login/", {"username": "clerk", "password": PASSWORD})
    pass_second_factor(client, User.objects.get(username="clerk"))
    assert "刘洋" in client.get("/authority/").content.decode()


@pytest.mark.django_db
def test_the_demo_shows_a_registered_physician_with_a_filed_site():
    _seed()
    lina = User.objects.get(username="lina")
    registration = lina.registrations.get()
    assert registration.state == "active" and registration.practice_area_id == "110000"
    site = registration.sites.get()
    assert site.institution != registration.institution and site.ended_on is None
    assert registration.changes.count() == 1


@pytest.mark.django_db
def test_the_demo_shows_a_physician_with_a_departure(client):
    _seed()
    wangfang = User.objects.get(username="wangfang")
    registration = wangfang.registrations.get()
    report = registration.reports.get()
    assert (report.kind, report.main, report.outcome) == ("departure", True, "")
    assert registration.changes.count() == 2
    client.post("/institution/login/", {"username": "hospital", "password": PASSWORD})
    pass_second_factor(client, User.objects.get(username="hospital"))
    page = client.get("/institution/physicians/").content.decode()
    assert "王芳" in page and "离岗" in page
    client.post("/authority/login/", {"username": "clerk", "password": PASSWORD})
    pass_second_factor(client, User.objects.get(username="clerk"))
    assert "王芳" in client.get("/authority/register/reports/").content.decode()
