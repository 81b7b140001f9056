"""No input gives a 500: NUL bytes and other text no column can hold answer 400, anything else a page or a form error.

Every URL pattern of the site is requested with a NUL byte in the query string, in the path and in a
posted form, as a visitor and as each role; hypothesis then sends arbitrary text to the search pages and
to every form the site shows.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories

pytestmark = pytest.mark.django_db

NUL_URLS = [
    ("physician", "/physician/institutions/search/?q=%00"),
    ("clerk", "/authority/open/?number=%00"),
    ("clerk", "/authority/institutions/?q=%00"),
    ("staff", "/institution/?q=%00"),
    (None, "/register/?name=%00"),
    ("clerk", "/authority/open/%00/"),
]

SAMPLE_ARGS = {"int": "1", "str": "2026-110105-000001", "path": "1", "slug": "x", "uuid": "0" * 32}


def routes(resolver, prefix="") -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += routes(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            found.append(prefix + route)
    return found


def url_paths() -> list[str]:
    """Every URL pattern of the site as a concrete path (converters filled with sample values)."""
    concrete = set()
    for raw in routes(get_resolver()):
        if "^" in raw or "(?P" in raw:  # admin's regex patterns (e.g. the catch-all); sampled
            raw = re.sub(r"\(\?P<\w+>[^)]*\)", "1", raw).replace("^", "").replace("$", "").replace("\\", "")
        filled = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_ARGS.get(m.group(1) or "str", "1"), raw)
        concrete.add("/" + filled)
    return sorted(concrete)


@pytest.fixture
def clients(world):
    admin = factories.UserFactory(role="admin", is_staff=True, is_superuser=True, username="fuzzadmin")
    result = {None: Client()}
    for name, user in (
        ("physician", world.physician),
        ("staff", world.staff),
        ("clerk", world.clerk),
        ("admin", admin),
    ):
        result[name] = Client()
        result[name].force_login(user)
    return result


@pytest.mark.parametrize(("who", "url"), NUL_URLS)
def test_a_nul_byte_in_the_reported_urls_answers_400(clients, who, url):
    response = clients[who].get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_every_url_pattern_answers_400_to_a_nul_byte_in_the_query_path_and_form(clients):
    paths = url_paths()
    assert len(paths) > 60  # the whole site, the admin included
    for who in (None, "physician", "staff", "clerk", "admin"):
        client = clients[who]
        for path in paths:
            assert client.get(path, {"q": "a\x00b"}).status_code == 400, (who, path)
            assert client.post(path, {"name": "x", "q": "\x00"}).status_code == 400, (who, path)
        assert client.get("/physician/institutions/search/\x00").status_code == 400


def test_a_nul_in_a_field_name_answers_400_and_invalid_utf8_is_no_500(clients):
    client = clients["physician"]
    for raw in ("%ED%A0%80", "%FF%FE", "%C0%80", "%E2%80%AE"):  # a UTF-8 surrogate, bytes no UTF-8 has, bidi
        assert client.get(f"/physician/institutions/search/?q={raw}").status_code == 200
    assert client.get("/physician/institutions/search/?%00=1").status_code == 400


def test_the_answer_is_in_the_users_language(clients):
    client = clients[None]
    assert "NUL" in client.get("/register/?name=%00").content.decode()
    chinese = client.get("/register/?name=%00").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/register/?name=%00").content.decode()
    assert chinese != english and "characters that cannot be text" in english


# ---- Arbitrary text: never a 500 ---------------------------------------------------------------

SEARCH_PAGES = [
    ("physician", "/physician/institutions/search/"),
    ("physician", "/physician/applications/"),
    ("staff", "/institution/"),
    ("clerk", "/authority/"),
    ("clerk", "/authority/open/"),
    ("clerk", "/authority/institutions/"),
    ("clerk", "/authority/register/"),
    ("clerk", "/authority/reports/"),
    ("clerk", "/authority/reports/export.csv"),
    (None, "/register/"),
    (None, "/register/announcements/"),
    (None, "/fhir/Organization"),
    (None, "/fhir/Practitioner"),
    ("admin", "/admin/accounts/user/"),
    ("admin", "/admin/registrations/application/"),
]
PARAMS = [
    "q", "number", "after", "before", "state", "type", "date_from", "date_to", "name", "code", "id_number",
    "institution", "page", "year", "month", "authority", "_count", "identifier", "organization", "active",
    "_lastUpdated", "o", "p", "e",
]  # fmt: skip
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(
    page=st.sampled_from(SEARCH_PAGES),
    params=st.dictionaries(st.one_of(st.sampled_from(PARAMS), TEXT), TEXT | st.sampled_from(["-1", "9" * 30, "1e9"])),
)
def test_no_query_string_gives_a_500(clients, page, params):
    who, path = page
    response = clients[who].get(path, params)
    assert response.status_code < 500, (path, params)


FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
FORM_SKIP = ("/logout/", "/i18n/", "/admin/logout/")


def form_pages(clients) -> list[tuple[str | None, str, list[str]]]:
    """Every page that shows a POST form, with its field names, for the role that sees it."""
    pages = []
    for who, client in clients.items():
        for path in url_paths():
            if any(skip in path for skip in FORM_SKIP) or "<" in path:
                continue
            response = client.get(path)
            if response.status_code != 200 or response.get("Content-Type", "").split(";")[0] != "text/html":
                continue
            html = response.content.decode()
            if 'method="post"' not in html:
                continue
            fields = sorted(set(FIELD.findall(html)) - {"csrfmiddlewaretoken", "next", "language"})
            if fields:
                pages.append((who, path, fields))
    return pages


@pytest.fixture
def forms(clients):
    pages = form_pages(clients)
    assert {path for _who, path, _f in pages} >= {"/physician/signup/", "/physician/recover/", "/physician/login/"}
    return pages


@FUZZ
@given(data=st.data())
def test_no_posted_form_gives_a_500(clients, forms, data):
    who, path, fields = data.draw(st.sampled_from(forms))
    values = {field: data.draw(TEXT, label=field) for field in fields}
    response = clients[who].post(path, values)
    assert response.status_code < 500, (path, values)


def test_an_integer_beyond_64_bits_in_an_admin_filter_is_bad_input(clients):
    # found by test_no_query_string_gives_a_500: SQLite cannot bind it (OverflowError) and answers 400;
    # PostgreSQL compares it as a numeric and finds nothing
    response = clients["admin"].get("/admin/accounts/user/", {"authority": "9223372036854775808"})
    assert response.status_code == (400 if connection.vendor == "sqlite" else 200)


def test_a_post_to_the_report_queue_itself_is_no_500(clients):
    # found by test_no_posted_form_gives_a_500: the queue's URL has no report to act on
    assert clients["clerk"].post("/authority/register/reports/", {"x": "1"}).status_code == 405
