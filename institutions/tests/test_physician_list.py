"""在职医师 through HTTP: keyset pages, newest registration first (next, previous, deep), and the prefix search."""

import pytest
from django.urls import reverse

from tests.factories import StaffFactory
from tests.register_rows import link, registrations

NAMES = [f"{'王李张'[n % 3]}{chr(0x4E00 + 44 - n)}" for n in range(45)]


@pytest.fixture
def staff(client, world):
    client.force_login(world.staff)
    return world.staff


def names_on(page: str, made) -> list[str]:
    shown = [(page.find(f">{r.physician.real_name}<"), r.physician.real_name) for r in made]
    return [name for position, name in sorted(shown) if position >= 0]


def test_the_physicians_page_newest_first_forward_and_back(client, world, staff):
    made = registrations(world, NAMES)  # the n-th registered n days after the first
    newest_first = NAMES[::-1]
    url = reverse("institutions:physicians")
    pages = [client.get(url).content.decode()]
    while following := link(pages[-1], "next"):
        pages.append(client.get(url + following).content.decode())
    assert [names_on(page, made) for page in pages] == [newest_first[:20], newest_first[20:40], newest_first[40:]]
    back = client.get(url + link(pages[-1], "prev")).content.decode()
    assert names_on(back, made) == newest_first[20:40]
    assert link(pages[0], "prev") is None


def test_the_search_finds_by_the_start_of_the_name_or_code(client, world, staff):
    made = registrations(world, NAMES)
    url = reverse("institutions:physicians")
    wang = client.get(url, {"q": "王"}).content.decode()
    assert sorted(names_on(wang, made)) == sorted(n for n in NAMES if n.startswith("王"))
    code = made[7].certificate_code
    by_code = client.get(url, {"q": code}).content.decode()
    assert names_on(by_code, made) == [made[7].physician.real_name]
    nothing = client.get(url, {"q": "龘"}).content.decode()
    assert names_on(nothing, made) == [] and "没有符合条件的注册记录" in nothing


def test_another_institutions_physicians_are_not_found_by_the_search(client, world):
    made = registrations(world, NAMES[:3])
    client.force_login(StaffFactory())
    page = client.get(reverse("institutions:physicians"), {"q": NAMES[0]}).content.decode()
    assert names_on(page, made) == [] and "没有符合条件的注册记录" in page
    assert names_on(client.get(reverse("institutions:physicians")).content.decode(), made) == []
