"""The users of ``bench/load.py``: physicians, institution staff and clerks, signed in, reading and writing.

Run through ``bench/load.py`` (it seeds the data, starts gunicorn and writes the sessions file that
``LOAD_SESSIONS`` names; at the end this file writes the figures to ``LOAD_REPORT``). Each simulated
user takes one signed-in session of its role and, between pauses of 0.5–2 s, does what a person of
that role does: opens pages, and posts the portal's real forms (fields read from the page as a browser
sends them, with the CSRF token of the page):

- physician: creates a first-registration draft, fills the form (institution chosen through the search
  box's JSON), uploads a document with it (the training proof PDF when the two-year rule asks for one,
  else a photo JPEG) and submits; opens the receipt of an application the institution confirmed and
  downloads its PDF;
- institution staff: opens the applications waiting, approves one (同意), downloads a review-form PDF
  and prints a batch of 2–5 ticked rows as one PDF;
- clerk: opens the oldest application in the queue, accepts the paper materials (受理), ticks the
  checklist and approves.

A write succeeds only when the server redirects to the page the form leads to and that page shows the
success message; a form shown again (its errors), a redirect elsewhere or an error message (someone
acted first) is an error. Users of one role claim distinct applications (as colleagues share a queue),
so no two of them decide the same one.
"""

import contextlib
import functools
import itertools
import json
import os
import random
import re
from html import unescape
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, between, events, task
from requests.cookies import create_cookie

SESSIONS = json.loads(open(os.environ["LOAD_SESSIONS"], encoding="utf-8").read())  # noqa: SIM115
FRESH = iter(SESSIONS["fresh"])  # physicians who have not applied yet; each applies once
STAFF = itertools.cycle(SESSIONS["institution"])  # spread the staff users over the institutions
CLERKS = itertools.cycle(SESSIONS["authority"])
CLAIMED = set(SESSIONS["reserved"])  # applications a user is deciding, or kept for the physicians' receipts

PDF = b"%PDF-1.4\n" + b"% training and assessment proof\n" * 600 + b"%%EOF\n"  # about 20 KB
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(random.Random(1).randrange(256) for _ in range(60_000)) + b"\xff\xd9"
TRAINING_LINE = "北京市医师培训中心 2026年1月—2026年6月 考核合格"


class Forms(HTMLParser):
    """The forms of a page and their controls, as a browser sees them (controls outside with ``form=``)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms = []  # {"attrs": {...}, "controls": [...]}
        self.by_id = {}
        self.orphans = []  # (form id, control)
        self._form = None
        self._select = None
        self._option = None
        self._textarea = None
        self.feed(html)
        for form_id, control in self.orphans:
            if form_id in self.by_id:
                self.by_id[form_id]["controls"].append(control)

    def _add(self, attrs: dict, control: dict):
        if attrs.get("form"):
            self.orphans.append((attrs["form"], control))
        elif self._form is not None:
            self._form["controls"].append(control)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            self._form = {"attrs": attrs, "controls": []}
            self.forms.append(self._form)
            if attrs.get("id"):
                self.by_id[attrs["id"]] = self._form
        elif tag in ("input", "button"):
            kind = attrs.get("type", "submit" if tag == "button" else "text").lower()
            self._add(attrs, {"kind": kind, "name": attrs.get("name", ""), "value": attrs.get("value", ""),
                              "checked": "checked" in attrs, "disabled": "disabled" in attrs})  # fmt: skip
        elif tag == "select":
            self._select = {"kind": "select", "name": attrs.get("name", ""), "options": [], "value": None,
                            "multiple": "multiple" in attrs, "disabled": "disabled" in attrs}  # fmt: skip
            self._add(attrs, self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "text": "", "selected": "selected" in attrs}
            self._select["options"].append(self._option)
        elif tag == "textarea":
            self._textarea = {"kind": "textarea", "name": attrs.get("name", ""), "value": "",
                              "disabled": "disabled" in attrs}  # fmt: skip
            self._add(attrs, self._textarea)

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea":
            self._textarea = None

    def form(self, *, action: str = "", form_id: str = "") -> dict | None:
        for form in self.forms:
            if (form_id and form["attrs"].get("id") == form_id) or (action and form["attrs"].get("action") == action):
                return form
        return None


def submitted(form: dict) -> list[tuple[str, str]]:
    """What the browser sends for the form as it stands, before a button is pressed (no files)."""
    pairs = []
    for control in form["controls"]:
        name = control["name"]
        if not name or control.get("disabled"):
            continue
        kind = control["kind"]
        if kind in ("submit", "button", "reset", "image", "file"):
            continue
        if kind in ("checkbox", "radio"):
            if control["checked"]:
                pairs.append((name, control["value"] or "on"))
        elif kind == "select":
            options = control["options"]
            chosen = [o for o in options if o["selected"]] or ([] if control["multiple"] else options[:1])
            pairs += [(name, o["text"].strip() if o["value"] is None else o["value"]) for o in chosen]
        else:
            pairs.append((name, control["value"]))
    return pairs


def choices(form: dict, name: str) -> list[str]:
    """The values a control offers: a select's options or the checkboxes/radios of that name."""
    values = []
    for control in form["controls"]:
        if control["name"] != name:
            continue
        if control["kind"] == "select":
            values += [o["value"] if o["value"] is not None else o["text"].strip() for o in control["options"]]
        elif control["kind"] in ("checkbox", "radio"):
            values.append(control["value"] or "on")
    return values


def setting(pairs: list[tuple[str, str]], **values) -> list[tuple[str, str]]:
    """The pairs with these fields set (replacing what the page had)."""
    return [(k, v) for k, v in pairs if k not in values] + [(k, v) for k, v in values.items() if v is not None]


def shown_errors(html: str) -> str:
    """The error texts a re-rendered form shows, for the failure message."""
    found = re.findall(r'class="[^"]*(?:invalid-feedback|text-danger|alert-danger)[^"]*"[^>]*>(.*?)</', html, re.S)
    text = " | ".join(unescape(re.sub(r"<[^>]+>", "", f)).strip() for f in found)
    return text[:200] or "no error text found"


def links(html: str, pattern: str) -> list[int]:
    """The primary keys of the links matching ``pattern`` (one group), in page order, once each."""
    return list(dict.fromkeys(int(pk) for pk in re.findall(pattern, html)))


class Failed(Exception):
    """A step of a flow went wrong (already recorded as a failure); the rest of the flow is skipped."""


def step(weight: int):
    """A locust task whose failed request ends it (the failure is counted once, by the request)."""

    def decorate(function):
        @functools.wraps(function)
        def run(user):
            with contextlib.suppress(Failed):
                function(user)

        return task(weight)(run)

    return decorate


class BehindTls(DefaultCookiePolicy):
    """The browser's side of the TLS proxy: its Secure cookies (session, CSRF) go back, though the bench
    talks plain HTTP to gunicorn."""

    def return_ok_secure(self, cookie, request):
        return True


class _Signed(FastHttpUser):
    abstract = True
    wait_time = between(0.5, 2)

    def sign_in(self, me: dict):
        """Become the person of this session: their cookie only (a previous person's csrftoken goes too)."""
        self.me = me
        self.client.cookiejar.set_policy(BehindTls())
        self.client.cookiejar.clear()
        host = urlsplit(self.host).hostname
        self.client.cookiejar.set_cookie(create_cookie("sessionid", me["session"], domain=host))

    def page(self, url: str, name: str, *, pdf: bool = False, showing: str = "") -> str:
        """GET a page that must answer 200 itself (a redirect, to the login say, is an error), and show
        ``showing`` (the form the user came for) when given."""
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {self.location(response)}".strip())
                raise Failed
            content = response.content or b""
            if pdf:
                if not content.startswith(b"%PDF-") or "pdf" not in (response.headers.get("Content-Type") or ""):
                    response.failure("not a PDF")
                    raise Failed
                return ""
            if b"<html" not in content[:500]:
                response.failure("not a page")
                raise Failed
            html = content.decode()
            if showing not in html:
                response.failure(f"the page lacks {showing}")
                raise Failed
            return html

    def json(self, url: str, name: str) -> dict:
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as response:
            try:
                assert response.status_code == 200
                return json.loads(response.content)
            except (AssertionError, ValueError):
                response.failure(f"{response.status_code}, not JSON")
                raise Failed from None

    @staticmethod
    def location(response) -> str:
        return urlsplit(response.headers.get("Location") or "").path

    def post(self, url: str, name: str, pairs, *, leads_to: str, then: str, files=None, showing: str = ""):
        """POST a form; it must redirect to a URL matching ``leads_to``, whose page (``then``) says it worked:
        that URL and page."""
        if files:
            body = {"data": pairs, "files": files}
        else:
            encoded = urlencode(pairs).encode()
            body = {"data": encoded, "headers": {"Content-Type": "application/x-www-form-urlencoded",
                                                 "Content-Length": str(len(encoded))}}  # fmt: skip
        with self.client.post(url, name=name, allow_redirects=False, catch_response=True, **body) as response:
            target = self.location(response)
            if response.status_code != 302:
                html = (response.content or b"").decode(errors="replace")
                response.failure(f"{response.status_code}, the form again: {shown_errors(html)}")
                raise Failed
            if not re.fullmatch(leads_to, target):
                response.failure(f"redirected to {target}")
                raise Failed
            try:
                html = self.page(target, then, showing=showing)
            except Failed:
                response.failure(f"the page it leads to failed: {target}")
                raise
            if 'class="alert alert-success"' not in html or 'class="alert alert-danger"' in html:
                response.failure(f"no success message: {shown_errors(html)}")
                raise Failed
            return target, html

    def open_one(self, url: str, name: str, **options) -> None:
        """GET ``url`` (``{pk}`` in it) for one of the user's applications at random; nothing if they have none."""
        if self.me["applications"]:
            pk = random.choice(self.me["applications"])  # noqa: S311
            self.page(url.format(pk=pk), name, **options)

    def claim(self, candidates: list[int]) -> int | None:
        for pk in candidates:
            if pk not in CLAIMED:
                CLAIMED.add(pk)
                return pk
        return None


class Physician(_Signed):
    weight = 6

    def on_start(self):
        # One in five has an application the institution confirmed, with a receipt to print.
        holders = [p for p in SESSIONS["physician"] if p["receipt"]]
        choosing = holders if holders and random.random() < 1 / 5 else SESSIONS["physician"]  # noqa: S311
        self.sign_in(random.choice(choosing))  # noqa: S311
        self.apply()  # the others start by applying, so that even a short run (CI's smoke) posts the form

    @step(3)
    def home(self):
        self.page("/physician/", "physician: home")

    @step(3)
    def applications(self):
        self.page("/physician/applications/", "physician: applications")

    @step(3)
    def application(self):
        self.open_one("/physician/applications/{pk}/", "physician: application")

    @step(1)
    def qualification(self):
        self.page("/physician/qualification/", "physician: qualification")

    @step(1)
    def apply(self):
        """Another physician signs in, creates a first registration, fills it in and submits it with a file.

        Not one waiting for the authority: they have an open application (and print its receipt)."""
        if self.me.get("receipt"):
            return
        me = next(FRESH, None)
        if me is None:  # every physician of the world has applied
            return
        self.sign_in(me)
        html = self.page("/physician/applications/new/", "physician: new application")
        form = next(f for f in Forms(html).forms if "qualification" in {c["name"] for c in f["controls"]})
        pairs = setting(submitted(form), type="first")
        if not dict(pairs).get("qualification"):
            pairs = setting(pairs, qualification=choices(form, "qualification")[0])
        edit, html = self.post("/physician/applications/new/", "physician: create draft (POST)", pairs,
                               leads_to=r"/physician/applications/\d+/edit/", then="physician: application form",
                               showing='id="application-form"')  # fmt: skip
        pk = int(edit.split("/")[3])
        me["applications"].append(pk)
        form = Forms(html).form(form_id="application-form")
        found = self.json(
            "/physician/institutions/search/?" + urlencode({"q": me["institution"]}), "physician: institution search"
        )
        institution = next(r["id"] for r in found["results"] if r["name"] == me["institution"])
        values = {"institution": str(institution), "education": "本科", "health_status": "良好", "submit": "1"}
        values["scope"] = next(scope for scope in choices(form, "scope") if scope)  # the first of the category's
        two_year_rule = any(c["name"] == "training_assessment" for c in form["controls"])  # asked only then
        if two_year_rule:
            values["training_assessment"] = TRAINING_LINE
        if any(c["name"] == "periods-0-starts_on" for c in form["controls"]):
            values |= {"periods-0-starts_on": "2021-09-01", "periods-0-employer": me["institution"],
                       "periods-0-position": "住院医师"}  # fmt: skip
        if two_year_rule:
            values["doc-kind"], files = "training_proof", {"doc-file": ("培训考核证明.pdf", PDF, "application/pdf")}
        else:
            values["doc-kind"], files = "photo", {"doc-file": ("照片.jpg", JPEG, "image/jpeg")}
        pairs = setting(submitted(form), **values)
        self.post(edit, "physician: submit with a document (POST)", pairs, files=files,
                  leads_to=f"/physician/applications/{pk}/", then="physician: application")  # fmt: skip

    @step(1)
    def receipt(self):
        """The receipt of an application the institution confirmed, from the link on its page, and its PDF."""
        pk = self.me.get("receipt")
        if not pk:
            return
        html = self.page(f"/physician/applications/{pk}/", "physician: application")
        if f"/physician/applications/{pk}/receipt/" not in html:
            return  # decided meanwhile: no receipt any more
        self.page(f"/physician/applications/{pk}/receipt/", "physician: receipt")
        self.page(f"/physician/applications/{pk}/receipt.pdf", "physician: receipt PDF", pdf=True)


class Staff(_Signed):
    weight = 3

    def on_start(self):
        self.sign_in(next(STAFF))

    @step(4)
    def queue(self):
        self.page("/institution/", "institution: applications")

    @step(3)
    def application(self):
        self.open_one("/institution/applications/{pk}/", "institution: application")

    @step(1)
    def preview(self):
        self.open_one("/institution/applications/{pk}/preview/", "institution: print preview")

    @step(3)
    def approve(self):
        """The applications waiting, the oldest unclaimed one opened and confirmed (同意)."""
        html = self.page("/institution/?state=submitted", "institution: applications waiting")
        pk = self.claim(links(html, r'href="/institution/applications/(\d+)/"'))
        if pk is None:
            return
        url = f"/institution/applications/{pk}/"
        html = self.page(url, "institution: application", showing=f'action="{url}approve/"')
        form = Forms(html).form(action=f"{url}approve/")
        pairs = setting(submitted(form), comment="同意")
        self.post(f"{url}approve/", "institution: approve (POST)", pairs, leads_to=url,
                  then="institution: application")  # fmt: skip
        self.me["applications"].append(pk)

    @step(1)
    def review_form(self):
        self.open_one("/institution/applications/{pk}/review-form.pdf", "institution: review form PDF", pdf=True)

    @step(1)
    def batch_print(self):
        """2–5 rows of the list ticked and printed as one PDF (the batch form's GET with its pk= values)."""
        html = self.page("/institution/", "institution: applications")
        form = Forms(html).form(form_id="batch-form")
        rows = choices(form, "pk")
        if len(rows) < 2:
            return
        ticked = random.sample(rows, min(len(rows), random.randint(2, 5)))  # noqa: S311
        query = urlencode(submitted(form) + [("pk", pk) for pk in ticked])
        self.page(f"/institution/print/?{query}", "institution: batch print PDF (2–5 forms)", pdf=True)


class Clerk(_Signed):
    weight = 1

    def on_start(self):
        self.sign_in(next(CLERKS))

    @step(4)
    def queue(self):
        self.page("/authority/", "authority: queue")

    @step(3)
    def application(self):
        self.open_one("/authority/applications/{pk}/", "authority: application")

    @step(1)
    def institutions(self):
        self.page("/authority/institutions/", "authority: institutions")

    @step(1)
    def reports(self):
        self.page("/authority/reports/", "authority: reports")

    @step(3)
    def decide(self):
        """The oldest unclaimed application of the queue: paper materials accepted (受理), checklist ticked, approved."""
        html = self.page("/authority/", "authority: queue")
        pk = self.claim(links(html, r'href="/authority/applications/(\d+)/"'))
        if pk is None:
            return
        url = f"/authority/applications/{pk}/"
        html = self.page(url, "authority: application", showing=f'action="{url}approve/"')
        if (accept := Forms(html).form(action=f"{url}accept/")) is not None:  # not accepted yet (the usual case)
            _, html = self.post(f"{url}accept/", "authority: accept 受理 (POST)", submitted(accept), leads_to=url,
                                then="authority: application", showing=f'action="{url}approve/"')  # fmt: skip
        form = Forms(html).form(action=f"{url}approve/")
        pairs = [*submitted(form), *(("checklist", code) for code in choices(form, "checklist")), ("action", "approve")]
        self.post(f"{url}approve/", "authority: approve (POST)", list(dict.fromkeys(pairs)), leads_to=url,
                  then="authority: application")  # fmt: skip
        self.me["applications"].append(pk)


@events.quitting.add_listener
def write_report(environment, **_kwargs):
    """Every page's count, percentiles and errors, and the totals, for ``bench/load.py`` to print."""
    stats = environment.stats

    def row(entry) -> dict:
        return {
            "method": entry.method or "",
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
        }

    report = {
        "seconds": (stats.total.last_request_timestamp or 0) - stats.total.start_time,  # first to last request
        "pages": [row(entry) for entry in stats.entries.values()],
        "total": row(stats.total),
        "errors": [
            {"method": e.method, "name": e.name, "error": str(e.error), "count": e.occurrences}
            for e in stats.errors.values()
        ],
        "exceptions": [
            {"count": e["count"], "message": e["msg"], "traceback": e["traceback"]}
            for e in environment.runner.exceptions.values()
        ],
        "fresh_left": sum(1 for _ in FRESH),
    }
    with open(os.environ["LOAD_REPORT"], "w", encoding="utf-8") as out:
        json.dump(report, out, ensure_ascii=False)
