"""Departures and grounds for cancellation reported by institutions (SPEC section 9), services and HTTP."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from docregistry.registrations import institution_reports as reports
from docregistry.registrations import report_selectors, services
from docregistry.registrations.models import Notification, PracticeSite, Registration
from docregistry.registrations.register_models import InstitutionReport, RegistrationChange
from tests.factories import AuthorityFactory, ClerkFactory, InstitutionFactory, StaffFactory

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)
Outcome = InstitutionReport.Outcome


@pytest.fixture
def registration(world):
    return Registration.objects.get(certificate_code=world.approved().practice_certificate_code)


@pytest.fixture
def site(world, registration):
    """A filing in force at a Haidian hospital."""
    haidian = InstitutionFactory(region_id="110108", name="海淀医院", mobile="13800000077")
    return PracticeSite.objects.create(
        registration=registration,
        institution=haidian,
        scope="内科专业",
        starts_on=TODAY() - 100 * DAY,
        ends_on=TODAY() + 200 * DAY,
    )


def new_rows(before):
    return list(Notification.objects.order_by("pk")[before:].values_list("recipient", "body"))


def test_a_departure_from_the_main_institution_is_filed_audited_queued_and_told(world, registration):
    before = Notification.objects.count()
    report = reports.departure_report(
        registration=registration, actor=world.staff, reason="retirement", left_on=TODAY() - 3 * DAY
    )
    assert (report.main, report.outcome, report.institution) == (True, Outcome.OPEN, world.institution)
    registration.refresh_from_db()
    assert registration.state == Registration.State.ACTIVE  # cancelled only two years later
    change = registration.changes.last()
    assert change.actor == world.staff and "离岗备案" in change.comment and "退休" in change.comment
    [(recipient, body)] = [row for row in new_rows(before) if row[0] == world.physician.mobile]
    assert "退休" in body and registration.certificate_code in body and "二年" in body
    assert list(report_selectors.report_queue(world.clerk)) == [report]
    assert not report_selectors.report_queue(ClerkFactory(authority=AuthorityFactory(region_id="510104"))).exists()
    with pytest.raises(services.TransitionError):  # a second report of the same departure
        reports.departure_report(registration=registration, actor=world.staff, reason="retirement", left_on=TODAY())


def test_a_departure_from_a_filed_site_ends_that_filing_and_tells_the_main_institution(world, registration, site):
    before = Notification.objects.count()
    staff = StaffFactory(institution=site.institution)
    report = reports.departure_report(registration=registration, actor=staff, reason="resignation", left_on=TODAY())
    site.refresh_from_db()
    assert report.main is False and site.ended_on == TODAY()
    recipients = {recipient for recipient, _body in new_rows(before)}
    assert {world.physician.mobile, world.institution.mobile, site.institution.mobile} <= recipients
    assert registration.changes.filter(actor=staff, comment__contains="退职").exists()
    # Once the filing has ended, the physician is no longer in that institution's list.
    assert not report_selectors.physicians_at_institution(staff).exists()


@pytest.mark.parametrize("days_ago", [31, -1])
def test_a_late_or_future_departure_date_is_refused_next_to_the_field(world, registration, days_ago):
    left_on = TODAY() - days_ago * DAY
    with pytest.raises(ValidationError) as error:
        reports.departure_report(registration=registration, actor=world.staff, reason="transfer", left_on=left_on)
    expected = (
        reports.MSG_DATE_LATE % {"date": left_on.isoformat(), "days": 30} if days_ago > 0 else reports.MSG_DATE_FUTURE
    )
    assert error.value.message_dict["left_on"] == [str(expected)]
    assert not InstitutionReport.objects.exists()
    reports.departure_report(
        registration=registration, actor=world.staff, reason="transfer", left_on=TODAY() - 30 * DAY
    )


def test_another_institution_may_not_report(world, registration):
    with pytest.raises(services.TransitionError):
        reports.departure_report(registration=registration, actor=StaffFactory(), reason="transfer", left_on=TODAY())
    with pytest.raises(services.TransitionError):
        reports.cancellation_report(
            registration=registration, actor=StaffFactory(), ground="death", occurred_on=TODAY()
        )


def test_beat_cancels_two_years_after_a_departure_with_no_new_main_institution(world, registration):
    left_on = TODAY() - 10 * DAY
    reports.departure_report(registration=registration, actor=world.staff, reason="dismissal", left_on=left_on)
    two_years = left_on.replace(year=left_on.year + 2)
    assert reports.departures_cancel_after_two_years(today=two_years - DAY) == 0
    before = Notification.objects.count()
    assert reports.departures_cancel_after_two_years(today=two_years) == 1
    registration.refresh_from_db()
    assert registration.state == Registration.State.CANCELLED and registration.ground.code == "departure_two_years"
    assert registration.ended_on == two_years
    change = registration.changes.last()
    assert (change.actor, change.actor_role, change.to_state) == (None, "system", "cancelled")
    assert change.ground.code == "departure_two_years" and "辞退" in change.comment
    sent = new_rows(before)
    assert any(r == world.physician.mobile and "离开执业机构满二年" in b for r, b in sent)
    assert world.institution.mobile in {r for r, _b in sent}
    assert reports.departures_cancel_after_two_years(today=two_years + DAY) == 0  # once


def test_beat_leaves_a_registration_alone_after_a_new_main_institution(world, registration):
    left_on = TODAY()
    reports.departure_report(registration=registration, actor=world.staff, reason="transfer", left_on=left_on)
    registration.institution = InstitutionFactory(region_id="110108")
    registration.save()
    assert reports.departures_cancel_after_two_years(today=left_on.replace(year=left_on.year + 3)) == 0
    registration.refresh_from_db()
    assert registration.state == Registration.State.ACTIVE


def test_a_reported_death_is_confirmed_by_the_authority_and_cancels(world, registration, site):
    report = reports.cancellation_report(
        registration=registration, actor=world.staff, ground="death", occurred_on=TODAY() - 2 * DAY, comment="病故"
    )
    registration.refresh_from_db()
    assert registration.state == Registration.State.ACTIVE and report.outcome == Outcome.OPEN
    with pytest.raises(services.TransitionError):  # a second report while the first waits
        reports.cancellation_report(registration=registration, actor=world.staff, ground="death", occurred_on=TODAY())
    before = Notification.objects.count()
    reports.report_confirm(report=report, actor=world.clerk)
    registration.refresh_from_db()
    assert registration.state == Registration.State.CANCELLED and registration.ground.code == "death"
    change = RegistrationChange.objects.filter(registration=registration).last()
    assert change.actor == world.clerk and change.ground.code == "death" and "病故" in change.comment
    recipients = {recipient for recipient, _body in new_rows(before)}
    assert {world.physician.mobile, world.institution.mobile, site.institution.mobile} <= recipients
    site.refresh_from_db()
    assert site.ended_on == TODAY()
    with pytest.raises(services.TransitionError):
        reports.report_confirm(report=report, actor=world.clerk)


def test_a_report_not_confirmed_needs_a_reason_and_tells_the_institution(world, registration):
    report = reports.cancellation_report(
        registration=registration, actor=world.staff, ground="health", occurred_on=TODAY()
    )
    with pytest.raises(ValidationError):
        reports.report_reject(report=report, actor=world.clerk, comment=" ")
    before = Notification.objects.count()
    reports.report_reject(report=report, actor=world.clerk, comment="未附诊断证明")
    assert [(r, "未附诊断证明" in b) for r, b in new_rows(before)] == [(world.institution.mobile, True)]
    registration.refresh_from_db()
    assert registration.state == Registration.State.ACTIVE


def test_an_own_request_is_not_a_ground_an_institution_reports(world, registration):
    with pytest.raises(ValidationError) as error:
        reports.cancellation_report(
            registration=registration, actor=world.staff, ground="own_request", occurred_on=TODAY()
        )
    assert error.value.message_dict["ground"] == [str(reports.MSG_GROUND_NOT_REPORTED)]


# ---- Through HTTP ----------------------------------------------------------------------------


def test_the_institution_lists_its_physicians_and_reports_a_departure_after_confirming(client, world, registration):
    client.force_login(world.staff)
    page = client.get(reverse("institutions:physicians")).content.decode()
    assert world.physician.real_name in page and "内科专业" in page
    url = reverse("institutions:report", args=[registration.pk, "depart"])
    assert client.get(url).status_code == 200
    data = {"reason": "retirement", "left_on": (TODAY() - DAY).isoformat(), "comment": ""}
    confirm = client.post(url, data)
    assert confirm.status_code == 200 and not InstitutionReport.objects.exists()
    assert "二年" in confirm.content.decode() and registration.certificate_code in confirm.content.decode()
    back = client.post(url, {**data, "edit": "1"}).content.decode()  # "change": what was typed is kept
    assert f'value="{data["left_on"]}"' in back
    response = client.post(url, {**data, "confirmed": "1"})
    assert response["Location"] == reverse("institutions:physicians")
    report = InstitutionReport.objects.get()
    assert (report.reason, report.occurred_on, report.main) == ("retirement", TODAY() - DAY, True)
    page = client.get(reverse("institutions:physicians")).content.decode()
    assert "departed" in page and url not in page


def test_a_late_departure_over_http_says_why_next_to_the_date_and_keeps_the_input(client, world, registration):
    client.force_login(world.staff)
    late = (TODAY() - 45 * DAY).isoformat()
    response = client.post(
        reverse("institutions:report", args=[registration.pk, "depart"]),
        {"reason": "transfer", "left_on": late, "confirmed": "1"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["left_on"] == [str(reports.MSG_DATE_LATE % {"date": late, "days": 30})]
    assert "30 天" in response.content.decode() or "30天" in response.content.decode()
    assert f'value="{late}"' in response.content.decode()
    assert not InstitutionReport.objects.exists()


def test_another_institutions_physician_is_a_404(client, world, registration):
    client.force_login(StaffFactory())
    assert world.physician.real_name not in client.get(reverse("institutions:physicians")).content.decode()
    for action in ("depart", "cancel"):
        url = reverse("institutions:report", args=[registration.pk, action])
        assert client.get(url).status_code == 404
        assert (
            client.post(url, {"reason": "transfer", "left_on": TODAY().isoformat(), "confirmed": "1"}).status_code
            == 404
        )
    assert not InstitutionReport.objects.exists()


def test_the_authority_confirms_a_reported_ground_from_its_queue(client, world, registration):
    client.force_login(world.staff)
    url = reverse("institutions:report", args=[registration.pk, "cancel"])
    client.post(url, {"ground": "death", "occurred_on": TODAY().isoformat(), "confirmed": "1"})
    report = InstitutionReport.objects.get()
    foreign = ClerkFactory(authority=AuthorityFactory(region_id="510104"))
    client.force_login(foreign)
    assert 'id="queue-empty"' in client.get(reverse("authority:report_queue")).content.decode()
    assert client.post(reverse("authority:report_action", args=[report.pk, "confirm"])).status_code == 404
    client.force_login(world.clerk)
    queue = client.get(reverse("authority:report_queue")).content.decode()
    assert world.physician.real_name in queue and "死亡或者被宣告失踪" in queue
    assert client.post(reverse("authority:report_action", args=[report.pk, "note"])).status_code == 404
    response = client.post(reverse("authority:report_action", args=[report.pk, "confirm"]), {"confirm-comment": ""})
    assert response["Location"] == reverse("authority:report_queue")
    registration.refresh_from_db()
    assert registration.state == Registration.State.CANCELLED and registration.ground.code == "death"
    client.force_login(world.physician)
    assert "死亡或者被宣告失踪" in client.get(reverse("physicians:index")).content.decode()


def test_a_rejection_without_a_reason_is_refused_next_to_the_field(client, world, registration):
    report = reports.cancellation_report(
        registration=registration, actor=world.staff, ground="health", occurred_on=TODAY()
    )
    client.force_login(world.clerk)
    response = client.post(reverse("authority:report_action", args=[report.pk, "reject"]), {"reject-comment": ""})
    assert response.status_code == 400
    assert str(reports.MSG_REJECT_REASON) in str(response.context["rows"][0][1][1][1].errors)
    report.refresh_from_db()
    assert report.outcome == Outcome.OPEN


def test_the_register_models_are_registered_by_the_models_module():
    from django.apps import apps

    from docregistry.registrations import models, register_models

    for name in ("Ground", "RegistrationChange", "InstitutionReport"):
        assert getattr(models, name) is getattr(register_models, name) is apps.get_model("registrations", name)
    assert models.Registration.State is models.RegistrationState


def old_departure(world, registration, reason) -> InstitutionReport:
    """A departure from ``world``'s institution, as its main one, 800 days ago."""
    return InstitutionReport.objects.create(
        registration=registration,
        institution=world.institution,
        kind=InstitutionReport.Kind.DEPARTURE,
        reason=reason,
        occurred_on=TODAY() - 800 * DAY,
        main=True,
        reported_by=world.staff,
    )


def departed_and_moved(world, count: int) -> list[Registration]:
    """``count`` registrations whose physician left ``world.institution`` and has a new main institution since."""
    from tests.factories import PhysicianFactory

    moved = []
    for _ in range(count):
        serial = Registration.objects.count() + 1
        registration = Registration.objects.create(
            physician=PhysicianFactory(),
            certificate_code=f"110110105{serial:06d}",
            institution=InstitutionFactory(region_id="110108"),  # the new main institution
            authority=world.authority,
            level="physician",
            category="clinical",
            scope="内科专业",
            effective_on=TODAY() - 900 * DAY,
        )
        old_departure(world, registration, InstitutionReport.Reason.TRANSFER)
        moved.append(registration)
    return moved


def test_beat_reads_only_departures_from_a_main_institution_still_held(world, registration):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.queries import Selects

    def run() -> tuple[int, int, list]:
        with CaptureQueriesContext(connection) as queries, Selects(InstitutionReport._meta.db_table) as selects:
            cancelled = reports.departures_cancel_after_two_years()
        return cancelled, len(queries.captured_queries), selects.rows()

    moved = departed_and_moved(world, 1)
    assert run() == (0, 2, [[]])  # the ground, the departures due: none comes back
    moved += departed_and_moved(world, 6)
    assert run() == (0, 2, [[]])  # seven old departures: the same two queries, still no row
    assert set(Registration.objects.filter(pk__in=[r.pk for r in moved]).values_list("state", flat=True)) == {
        Registration.State.ACTIVE
    }
    # A departure two years old from the institution that is still the main one is cancelled as before.
    old_departure(world, registration, InstitutionReport.Reason.RETIREMENT)
    assert reports.departures_cancel_after_two_years() == 1
    registration.refresh_from_db()
    assert registration.state == Registration.State.CANCELLED
    assert not Registration.objects.filter(pk__in=[r.pk for r in moved]).exclude(state=Registration.State.ACTIVE)
