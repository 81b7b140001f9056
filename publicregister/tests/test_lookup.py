"""The public register: found by name with a code or an institution, never listed, never private data."""

import csv
import io

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from docregistry.public import register as public
from publicregister.forms import MSG_NAME_ALONE, MSG_WILDCARD
from publicregister.tests.helpers import cancelled, registered
from tests.factories import InstitutionFactory
from tests.register_rows import registrations

pytestmark = pytest.mark.django_db
LOOKUP = reverse("publicregister:lookup")


def search(client, **params):
    return client.get(LOOKUP, params, REMOTE_ADDR=params.pop("_ip", "203.0.113.7"))


def test_name_and_code_find_the_registration_with_what_the_public_may_see(client, world):
    registration = registered(world)

    response = search(client, name="张伟", code=registration.certificate_code)

    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-record="{registration.certificate_code}"' in page
    for shown in (
        "张伟",
        "执业医师",
        "临床",
        "内科专业",
        world.institution.name,
        "北京市",
        world.authority.name,
        "有效",
    ):
        assert shown in page, shown
    physician = world.physician
    for private in (physician.id_number, physician.mobile, physician.email, world.institution.address):
        assert private not in page


def test_name_and_institution_find_it_by_full_name_or_registration_number(client, world):
    registration = registered(world)
    for institution in (world.institution.name, world.institution.registration_number):
        page = search(client, name="张伟", institution=institution).content.decode()
        assert f'data-record="{registration.certificate_code}"' in page


@pytest.mark.parametrize(
    "params",
    [
        {"name": "李娜", "code": "{code}"},  # the code of someone else
        {"name": "张伟", "code": "110110105999999"},
        {"name": "张伟", "institution": "测试医院"},  # part of a name is not the institution
        {"name": "张伟", "institution": "{other}"},
    ],
)
def test_misses_find_nothing_and_say_so(client, world, params):
    registration = registered(world)
    other = InstitutionFactory()
    params = {k: v.format(code=registration.certificate_code, other=other.name) for k, v in params.items()}

    page = search(client, **params).content.decode()

    assert 'data-lookup="none"' in page
    assert "data-record=" not in page


def test_a_name_alone_finds_nothing_and_asks_for_more(client, world):
    registered(world)
    page = search(client, name="张伟").content.decode()
    assert "data-record=" not in page
    assert str(MSG_NAME_ALONE) in page or "仅凭姓名" in page


@pytest.mark.parametrize("params", [{"name": "张*", "code": "1*"}, {"name": "%", "institution": "%"}])
def test_wildcards_are_refused(client, world, params):
    registered(world)
    page = search(client, **params).content.decode()
    assert "data-record=" not in page
    assert "不接受通配符" in page or str(MSG_WILDCARD) in page


def test_the_page_speaks_english_when_asked(client, world):
    registration = registered(world)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = search(client, name="张伟", code=registration.certificate_code).content.decode()
    assert "Public register of physicians" in page and "In force" in page and "Licensed physician" in page


@override_settings(PUBLIC_THROTTLE={"lookup": (3, 86400), "fhir": (100, 86400)})  # no window ends mid-test
def test_lookups_are_throttled_per_client_address_with_a_clear_message(client, world):
    registration = registered(world)
    for _ in range(3):
        assert search(client, name="张伟", code=registration.certificate_code, _ip="198.51.100.1").status_code == 200

    response = search(client, name="张伟", code=registration.certificate_code, _ip="198.51.100.1")

    assert response.status_code == 429
    page = response.content.decode()
    assert 'data-lookup="throttled"' in page and "请稍候" in page
    assert "data-record=" not in page
    assert search(client, name="张伟", code=registration.certificate_code, _ip="198.51.100.2").status_code == 200


def test_a_cancelled_registration_shows_the_day_it_was_cancelled(client, world):
    registration = cancelled(world, registered(world))
    page = search(client, name="张伟", code=registration.certificate_code).content.decode()
    assert "已注销" in page
    assert f"{timezone.localdate().year}年" in page


def test_the_monthly_announcement_lists_granted_and_cancelled_as_page_and_csv(client, world):
    registration = registered(world)
    today = timezone.localdate()
    url = reverse("publicregister:announcement", args=[world.authority.pk, today.year, today.month])
    page = client.get(url).content.decode()
    assert registration.certificate_code in page and "张伟" in page
    assert world.physician.id_number not in page

    cancelled(world, registration)
    response = client.get(
        reverse("publicregister:announcement_csv", args=[world.authority.pk, today.year, today.month])
    )
    assert response["Content-Type"].startswith("text/csv") and response.streaming
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())  # UTF-8 with a byte-order mark, for Excel
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["公告类别", "姓名"]
    assert [row[0] for row in rows[1:]] == ["准予注册", "注销注册"]
    assert all(row[6] == registration.certificate_code and row[1] == "张伟" for row in rows[1:])
    assert world.physician.id_number not in content.decode("utf-8-sig")


def test_a_month_of_many_registrations_streams_every_row_in_date_order(client, world, django_assert_num_queries):
    made = registrations(world, [f"王{chr(0x4E00 + n)}" for n in range(7)])  # 1 to 7 January 2024
    response = client.get(reverse("publicregister:announcement_csv", args=[world.authority.pk, 2024, 1]))
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(row[1], row[6], row[7]) for row in rows[1:]] == [
        (r.physician.real_name, r.certificate_code, r.effective_on.isoformat()) for r in made
    ]
    # Read three at a time: one query per list (granted, cancelled), and per chunk of three its sites and
    # its provinces — the queries grow with the chunks, not the rows; every row comes out once.
    with django_assert_num_queries(2 + 3 * 2):
        records = list(public.announcement_records(authority=world.authority, year=2024, month=1, chunk_size=3))
    assert [record.certificate_code for _granted, record in records] == [r.certificate_code for r in made]


def test_the_announcement_index_leads_to_one_authority_and_month(client, world):
    today = timezone.localdate()
    response = client.get(
        reverse("publicregister:announcements"), {"authority": world.authority.pk, "month": f"{today:%Y-%m}"}
    )
    assert response.status_code == 302
    assert response.url == reverse("publicregister:announcement", args=[world.authority.pk, today.year, today.month])
    assert (
        client.get(reverse("publicregister:announcement", args=[world.authority.pk, today.year, 13])).status_code == 404
    )
    assert client.get(reverse("publicregister:announcement", args=[999999, today.year, 1])).status_code == 404
