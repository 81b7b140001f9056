"""The users of ``bench/load.py``: physicians, institution staff and clerks, signed in, reading their pages.

Run through ``bench/load.py`` (it seeds the data, starts gunicorn and writes the sessions file that
``LOAD_SESSIONS`` names). Each simulated user takes one signed-in session of its role and, between
pauses of 0.5–2 s, opens the pages a person of that role opens most.
"""

import json
import os
import random

from locust import FastHttpUser, between, task

SESSIONS = json.loads(open(os.environ["LOAD_SESSIONS"], encoding="utf-8").read())  # noqa: SIM115


class _Signed(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(0.5, 2)

    def on_start(self):
        self.me = random.choice(SESSIONS[self.role])  # noqa: S311
        self.headers = {"Cookie": f"sessionid={self.me['session']}"}

    def page(self, url: str, name: str):
        with self.client.get(url, headers=self.headers, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            elif b"<html" not in response.content[:500] and not url.endswith(".pdf"):
                response.failure("not a page")


class Physician(_Signed):
    role = "physician"
    weight = 6

    @task(3)
    def home(self):
        self.page("/physician/", "physician: home")

    @task(3)
    def applications(self):
        self.page("/physician/applications/", "physician: applications")

    @task(3)
    def application(self):
        self.page(f"/physician/applications/{random.choice(self.me['applications'])}/", "physician: application")  # noqa: S311

    @task(1)
    def qualification(self):
        self.page("/physician/qualification/", "physician: qualification")


class Staff(_Signed):
    role = "institution"
    weight = 3

    @task(4)
    def queue(self):
        self.page("/institution/", "institution: applications")

    @task(3)
    def application(self):
        self.page(f"/institution/applications/{random.choice(self.me['applications'])}/", "institution: application")  # noqa: S311

    @task(1)
    def preview(self):
        pk = random.choice(self.me["applications"])  # noqa: S311
        self.page(f"/institution/applications/{pk}/preview/", "institution: print preview")


class Clerk(_Signed):
    role = "authority"
    weight = 1

    @task(4)
    def queue(self):
        self.page("/authority/", "authority: queue")

    @task(3)
    def application(self):
        self.page(f"/authority/applications/{random.choice(self.me['applications'])}/", "authority: application")  # noqa: S311

    @task(1)
    def institutions(self):
        self.page("/authority/institutions/", "authority: institutions")

    @task(1)
    def reports(self):
        self.page("/authority/reports/", "authority: reports")
