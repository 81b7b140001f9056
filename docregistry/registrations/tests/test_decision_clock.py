"""The authority's 20-working-day clock is shown to every party once the institution forwarded the application."""

import datetime

import pytest
from django.urls import reverse

from docregistry.registrations import presentation


def test_the_clock_counts_working_days_from_the_institutions_confirmation(world):
    application = world.institution_approved()
    start = datetime.date(2026, 11, 27)  # a Friday
    application.institution_decided_at = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
    clock = presentation.decision_clock(application, today=datetime.date(2026, 12, 1))
    assert clock["start"] == start
    assert clock["elapsed"] == 2  # Monday and Tuesday
    assert clock["deadline"] == datetime.date(2026, 12, 25)  # 20 working days later
    assert not clock["overdue"]
    assert presentation.decision_clock(application, today=datetime.date(2027, 1, 4))["overdue"]


def test_no_clock_before_the_institution_confirmed_or_after_the_decision(world):
    assert presentation.decision_clock(world.submitted()) is None
    assert presentation.decision_clock(world.approved()) is None


@pytest.mark.parametrize(
    ("who", "url_name"),
    [("physician", "physicians:application_detail"), ("staff", "institutions:application")],
)
def test_physician_and_institution_see_the_deadline(client, world, who, url_name):
    application = world.institution_approved()
    client.force_login(getattr(world, who))
    page = client.get(reverse(url_name, args=[application.pk])).content.decode()
    deadline = presentation.decision_clock(application)["deadline"]
    assert f"卫生健康行政部门应于 {deadline:%Y-%m-%d} 前作出决定" in page
