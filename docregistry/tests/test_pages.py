"""What every page carries for people and for assistive technology: titles, landmarks, labels, confirmations."""

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.utils import translation

from docregistry.registrations import services


class Page(HTMLParser):
    """The ids, labels, titles and form attributes of one rendered page."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: list[str] = []
        self.labels: dict[str, str] = {}
        self.tags: list[tuple[str, dict]] = []
        self.title = ""
        self._in_title = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and "for" in attrs:
            self.labels[attrs["for"]] = attrs["for"]
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def find(self, tag, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def page(client, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200
    return Page(response.content.decode())


@pytest.mark.django_db
def test_the_sign_in_pages_and_the_home_page_have_titles_of_their_own(client, world):
    titles = [page(client, url).title for url in ("/", "/physician/login/", "/institution/login/", "/authority/login/")]
    client.force_login(world.physician)
    titles.append(page(client, "/physician/").title)
    assert len(set(titles)) == 5, titles
    assert titles[1].startswith("医师登录")


@pytest.mark.django_db
def test_every_page_has_a_skip_link_named_landmarks_an_icon_and_a_description(client):
    html = page(client, "/physician/login/")
    assert html.find("a", href="#main")
    assert html.find("main", id="main")
    assert all(nav.get("aria-label") for nav in html.find("nav"))
    assert html.find("link", rel="icon")
    assert html.find("meta", name="description")[0]["content"]
    assert client.get("/favicon.ico").status_code == 301


@pytest.mark.django_db
def test_review_windows_give_each_form_its_own_ids(client, world):
    application = world.institution_approved()
    services.application_accept_by_authority(application=application, actor=world.clerk)  # the clock runs
    client.force_login(world.clerk)
    html = page(client, f"/authority/applications/{application.pk}/")
    assert not [i for i, n in Counter(html.ids).items() if n > 1]
    # The return reason's label points at the return form's field, not at the approval opinion.
    assert html.find("textarea", id="return_comment")[0]["name"] == "comment"
    assert "return_comment" in html.labels and "approve_comment" in html.labels
    assert html.find("div", role="progressbar")[0]["aria-label"]

    submitted = world.submitted()
    client.force_login(world.staff)
    html = page(client, f"/institution/applications/{submitted.pk}/")
    assert not [i for i, n in Counter(html.ids).items() if n > 1]
    assert html.find("textarea", id="return_comment")


@pytest.mark.django_db
def test_approve_refuse_and_return_ask_first_and_say_what_follows(client, world):
    application = world.institution_approved()
    client.force_login(world.clerk)
    html = page(client, f"/authority/applications/{application.pk}/")
    confirms = {f["action"].rsplit("/", 2)[-2]: f["data-confirm"] for f in html.find("form") if "data-confirm" in f}
    assert set(confirms) == {"accept", "approve", "return", "refuse"}
    assert "20 个工作日" in confirms["accept"]
    assert "不可撤销" in confirms["approve"]
    assert "法定" in confirms["refuse"]


@pytest.mark.django_db
def test_a_draft_is_discarded_not_withdrawn(client, world):
    draft = world.draft()
    client.force_login(world.physician)
    body = client.get(f"/physician/applications/{draft.pk}/").content.decode()
    assert "删除草稿" in body and ">撤回<" not in body


@pytest.mark.django_db
def test_password_rules_are_shown_before_the_first_try(client):
    body = client.get("/physician/signup/").content.decode()
    assert re.search(r"密码.{0,40}(至少|字符)", body)


@pytest.mark.django_db
def test_english_pages_show_titles_translated_not_stored(client, world):
    application = world.draft(title="医师")
    client.force_login(world.physician)
    client.cookies["django_language"] = "en"
    try:
        body = client.get(f"/physician/applications/{application.pk}/").content.decode()
    finally:
        translation.activate("zh-hans")  # the request left English active in this thread
    assert "Physician" in body and ">医师<" not in body
