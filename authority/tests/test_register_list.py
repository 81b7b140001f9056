"""The authority's register list and reports queue: keyset pages (next, previous, deep) and prefix search."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from docregistry.registrations.models import Registration
from tests.factories import AuthorityFactory, ClerkFactory, InstitutionFactory
from tests.register_rows import link, open_reports, registrations

NAMES = [f"王{chr(0x4E00 + n)}" for n in range(45)]


@pytest.fixture
def clerk(client, world):
    client.force_login(world.clerk)
    return world.clerk


def codes_on(page: str, made: list[Registration]) -> list[str]:
    """The certificate codes of ``made`` that ``page`` shows, in the order it shows them."""
    shown = [(page.find(f">{r.certificate_code}<"), r.certificate_code) for r in made]
    return [code for position, code in sorted(shown) if position >= 0]


def test_the_register_pages_newest_first_forward_to_the_last_page_and_back(client, world, clerk):
    made = registrations(world, NAMES)
    newest_first = [r.certificate_code for r in reversed(made)]
    url = reverse("authority:register")
    first = client.get(url).content.decode()
    assert codes_on(first, made) == newest_first[:20]
    assert link(first, "prev") is None

    second = client.get(url + link(first, "next")).content.decode()
    assert codes_on(second, made) == newest_first[20:40]
    third = client.get(url + link(second, "next")).content.decode()
    assert codes_on(third, made) == newest_first[40:]
    assert link(third, "next") is None

    back = client.get(url + link(third, "prev")).content.decode()
    assert codes_on(back, made) == newest_first[20:40]
    assert codes_on(client.get(url + link(back, "prev")).content.decode(), made) == newest_first[:20]


def test_a_deep_page_takes_as_many_queries_as_the_first(client, world, clerk):
    registrations(world, NAMES * 3)
    url = reverse("authority:register")
    with CaptureQueriesContext(connection) as first:
        page = client.get(url).content.decode()
    for _ in range(5):
        page = client.get(url + link(page, "next")).content.decode()
    with CaptureQueriesContext(connection) as deep:
        client.get(url + link(page, "prev"))
    assert len(deep) == len(first) > 0


def test_a_hand_edited_page_token_starts_again_from_the_first_page(client, world, clerk):
    made = registrations(world, NAMES)
    page = client.get(reverse("authority:register"), {"after": "not-a-token"})
    assert page.status_code == 200
    assert codes_on(page.content.decode(), made)[0] == made[-1].certificate_code


def test_the_search_is_by_the_start_of_the_name_or_of_the_code(client, world, clerk):
    wang, zhang_wang, li = registrations(world, ["王芳", "张王", "李娜"])
    url = reverse("authority:register")

    by_name = client.get(url, {"q": "王"}).content.decode()
    assert wang.certificate_code in by_name
    assert zhang_wang.certificate_code not in by_name  # 王 inside the name is not its start
    assert li.certificate_code not in by_name

    by_code = client.get(url, {"q": "１１０１１０１０５０００００３"}).content.decode()  # full-width, as typed
    assert li.certificate_code in by_code and wang.certificate_code not in by_code
    by_start = client.get(url, {"q": "110110105 0000"}).content.decode()
    assert all(r.certificate_code in by_start for r in (wang, zhang_wang, li))
    middle = client.get(url, {"q": "0105000003"}).content.decode()  # the middle of a code finds nothing
    assert li.certificate_code not in middle and "没有符合条件的注册记录" in middle


def test_the_search_pages_and_keeps_its_query_in_the_links(client, world, clerk):
    made = registrations(world, NAMES + ["李娜"])
    url = reverse("authority:register")
    pages = [client.get(url, {"q": "王"}).content.decode()]
    while following := link(pages[-1], "next"):
        assert "q=%E7%8E%8B" in following
        pages.append(client.get(url + following).content.decode())
    assert [len(codes_on(page, made)) for page in pages] == [20, 20, 5]
    assert made[-1].certificate_code not in "".join(pages)


def test_another_jurisdictions_registrations_are_not_listed(client, world, clerk):
    (mine,) = registrations(world, ["王芳"])
    (theirs,) = registrations(world, ["王芳"], institution=InstitutionFactory(region_id="510104"), first_code=100)
    theirs.authority = AuthorityFactory(region_id="510104")
    theirs.save(update_fields=["authority"])
    page = client.get(reverse("authority:register"), {"q": "王"}).content.decode()
    assert mine.certificate_code in page and theirs.certificate_code not in page
    client.force_login(ClerkFactory(authority=theirs.authority))
    page = client.get(reverse("authority:register")).content.decode()
    assert theirs.certificate_code in page and mine.certificate_code not in page


def test_the_reports_queue_pages_oldest_first(client, world, clerk):
    reports = open_reports(world, registrations(world, NAMES[:25]))
    url = reverse("authority:report_queue")
    first = client.get(url).content.decode()
    shown = [r for r in reports if f"/register/reports/{r.pk}/" in first]
    assert shown == reports[:20]
    rest = client.get(url + link(first, "next")).content.decode()
    assert [r for r in reports if f"/register/reports/{r.pk}/" in rest] == reports[20:]
    assert link(rest, "next") is None
    back = client.get(url + link(rest, "prev")).content.decode()
    assert [r for r in reports if f"/register/reports/{r.pk}/" in back] == reports[:20]


def test_the_reports_queue_gives_every_field_an_id_of_its_own(client, world, clerk):
    open_reports(world, registrations(world, NAMES[:3]))
    page = client.get(reverse("authority:report_queue")).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert len(re.findall(r'<label for="id_report\d+_note-comment"', page)) == 3
