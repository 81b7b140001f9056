"""The authority's services: registration effects, certificate codes, notifications, windows, accounts, reports."""

import datetime
import re

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from docregistry.accounts.models import Role, User
from docregistry.registrations import reports, selectors, services
from docregistry.registrations.checklists import checklist_codes
from docregistry.registrations.models import (
    Application,
    Authority,
    Category,
    Institution,
    Level,
    Notification,
    Region,
    Registration,
    RegistrationWindow,
)
from docregistry.registrations.services import institutions as institution_services
from tests.concurrency import race
from tests.factories import (
    PASSWORD,
    AuthorityFactory,
    ClerkFactory,
    InstitutionFactory,
    PhysicianFactory,
    StaffFactory,
    application_for,
    qualification_for,
)

Type = Application.Type


def through_institution(application, staff=None):
    """Submit as the physician and confirm as the addressed institution's staff."""
    application = services.application_submit(application=application, actor=application.physician)
    staff = staff or StaffFactory(institution=application.institution)
    return services.application_approve_by_institution(application=application, actor=staff)


def approve(application, clerk):
    return services.application_approve_by_authority(
        application=application, actor=clerk, checklist=checklist_codes(application)
    )


# ---- What approval does, per application type ---------------------------------------


def test_first_registration_creates_the_registration_with_a_new_code(world):
    application = world.approved()
    registration = Registration.objects.get(physician=world.physician)
    assert registration.state == Registration.State.ACTIVE
    assert registration.certificate_code == application.practice_certificate_code
    assert re.fullmatch(r"1" r"10" r"110105" r"\d{6}", registration.certificate_code)
    assert registration.institution == world.institution
    assert registration.authority == world.authority
    assert registration.scope == "内科专业"
    assert registration.effective_on == timezone.localdate()


def test_multi_site_adds_a_practice_site_to_the_existing_registration(world):
    registration = world.physician.registrations.get(certificate_code=world.approved().practice_certificate_code)
    second = InstitutionFactory()
    application = application_for(
        world.physician,
        second,
        qualification=world.qualification,
        type=Type.MULTI_SITE,
        registration=registration,
        site_starts_on=datetime.date(2027, 1, 1),
        site_ends_on=datetime.date(2028, 12, 31),
    )
    application = approve(through_institution(application), world.clerk)

    assert application.practice_certificate_code == registration.certificate_code
    assert Registration.objects.filter(physician=world.physician).count() == 1
    [site] = registration.sites.all()
    assert (site.institution, site.scope, site.starts_on, site.ends_on) == (
        second,
        "内科专业",
        datetime.date(2027, 1, 1),
        datetime.date(2028, 12, 31),
    )


def test_change_updates_institution_and_scope_and_keeps_the_code(world):
    registration = world.physician.registrations.get(certificate_code=world.approved().practice_certificate_code)
    new_home = InstitutionFactory()
    application = application_for(
        world.physician,
        new_home,
        qualification=world.qualification,
        type=Type.CHANGE,
        registration=registration,
        scope="外科专业",
    )
    approve(through_institution(application), world.clerk)

    registration.refresh_from_db()
    assert (registration.institution, registration.scope, registration.state) == (new_home, "外科专业", "active")
    assert Registration.objects.filter(physician=world.physician).count() == 1


def test_upgrade_replaces_the_assistant_registration(world):
    assistant = Registration.objects.create(
        physician=world.physician,
        certificate_code="210110105000777",
        institution=world.institution,
        authority=world.authority,
        level=Level.ASSISTANT,
        category=Category.CLINICAL,
        scope="内科专业",
        effective_on=datetime.date(2020, 1, 1),
    )
    application = application_for(
        world.physician,
        world.institution,
        qualification=world.qualification,
        type=Type.UPGRADE,
        registration=assistant,
    )
    application = approve(through_institution(application, world.staff), world.clerk)

    assistant.refresh_from_db()
    assert assistant.state == Registration.State.SUPERSEDED
    assert assistant.ended_on == timezone.localdate()
    current = Registration.objects.get(physician=world.physician, state=Registration.State.ACTIVE)
    assert current.level == Level.PHYSICIAN
    assert current.certificate_code == application.practice_certificate_code
    assert current.certificate_code.startswith("110") and current.certificate_code != assistant.certificate_code


def test_cancellation_ends_the_registration(world):
    registration = world.physician.registrations.get(certificate_code=world.approved().practice_certificate_code)
    application = application_for(
        world.physician,
        world.institution,
        qualification=world.qualification,
        type=Type.CANCEL,
        registration=registration,
        cancellation_reason="调离医疗岗位",
    )
    approve(through_institution(application, world.staff), world.clerk)

    registration.refresh_from_db()
    assert registration.state == Registration.State.CANCELLED
    assert registration.ended_on == timezone.localdate()


def test_reregistration_issues_a_new_registration(world):
    old = world.physician.registrations.get(certificate_code=world.approved().practice_certificate_code)
    Registration.objects.filter(pk=old.pk).update(state=Registration.State.CANCELLED)
    application = application_for(
        world.physician, world.institution, qualification=world.qualification, type=Type.REREGISTER, registration=old
    )
    application = approve(through_institution(application, world.staff), world.clerk)

    assert application.practice_certificate_code != old.certificate_code
    assert Registration.objects.get(physician=world.physician, state="active").certificate_code == (
        application.practice_certificate_code
    )


def test_a_change_without_the_registration_it_concerns_is_not_approved(world):
    # Submission already refuses this; the authority's approval checks it again.
    application = application_for(
        world.physician, world.institution, qualification=world.qualification, type=Type.CHANGE
    )
    Application.objects.filter(pk=application.pk).update(state=Application.State.INSTITUTION_APPROVED)
    application.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        approve(application, world.clerk)
    assert str(services.MSG_REGISTRATION_REQUIRED) in error.value.messages
    application.refresh_from_db()
    assert application.state == Application.State.INSTITUTION_APPROVED


def test_a_province_authority_issues_codes_with_00_for_city_and_county(world):
    province = AuthorityFactory(region_id="110000")
    application = approve(world.institution_approved(), ClerkFactory(authority=province))
    assert application.practice_certificate_code[3:9] == "110000"


def test_checklist_ignores_unknown_keys_and_needs_every_known_one(world):
    application = world.institution_approved()
    with pytest.raises(ValidationError):
        services.application_approve_by_authority(
            application=application, actor=world.clerk, checklist=[*checklist_codes(application)[:-1], "bogus"]
        )
    application = services.application_approve_by_authority(
        application=application, actor=world.clerk, checklist=[*checklist_codes(application), "bogus"]
    )
    assert application.checklist == checklist_codes(application)


def test_a_clerk_outside_the_jurisdiction_may_not_approve(world):
    outsider = ClerkFactory(authority=AuthorityFactory(region_id="510100"))
    application = world.institution_approved()
    with pytest.raises(services.NotAllowed):
        approve(application, outsider)


# ---- Certificate codes under concurrent approvals ---------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_approvals_never_issue_the_same_certificate_code():
    region = Region.objects.get(code="110105")
    authority = Authority.objects.create(name="朝阳区卫健委", region=region)
    clerks = [ClerkFactory(authority=authority) for _ in range(2)]
    institution = InstitutionFactory()
    staff = StaffFactory(institution=institution)
    applications = []
    for _ in range(12):
        physician = PhysicianFactory()
        applications.append(through_institution(application_for(physician, institution), staff))

    def approving(index, application):
        return lambda: approve(Application.objects.get(pk=application.pk), clerks[index % 2]).practice_certificate_code

    codes = race([approving(i, a) for i, a in enumerate(applications)])
    assert all(isinstance(code, str) for code in codes), codes
    assert len(set(codes)) == len(applications)
    assert sorted(int(code[-6:]) for code in codes) == list(range(1, len(applications) + 1))
    assert Registration.objects.count() == len(applications)


# ---- Notifications after commit ------------------------------------------------------


@pytest.mark.parametrize(
    "decide",
    [
        lambda a, clerk: approve(a, clerk),
        lambda a, clerk: services.application_return_by_authority(application=a, actor=clerk, comment="缺照片"),
        lambda a, clerk: services.application_refuse(application=a, actor=clerk, ground="forged"),
    ],
    ids=["approve", "return", "refuse"],
)
def test_each_decision_notifies_physician_and_institution_after_commit(
    world, decide, django_capture_on_commit_callbacks, sms_outbox, mailoutbox
):
    application = world.institution_approved()
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decide(application, world.clerk)
    rows = Notification.objects.order_by("pk")[before:]
    assert {(n.channel, n.recipient) for n in rows} == {
        ("sms", world.physician.mobile),
        ("email", world.physician.email),
        ("sms", world.institution.mobile),
    }
    assert all(n.state == Notification.State.PENDING for n in rows)
    assert sms_outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert {m.to for m in sms_outbox} == {world.physician.mobile, world.institution.mobile}
    assert application.number in sms_outbox[0].body
    assert len(mailoutbox) == 1
    assert all(n.state == Notification.State.SENT for n in Notification.objects.order_by("pk")[before:])


def test_no_notification_when_the_transaction_rolls_back(world, django_capture_on_commit_callbacks, sms_outbox):
    application = world.institution_approved()
    before = Notification.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        approve(application, world.clerk)
        raise RuntimeError("the request failed after the approval")
    assert callbacks == []
    assert Notification.objects.count() == before
    assert sms_outbox == []
    application.refresh_from_db()
    assert application.state == Application.State.INSTITUTION_APPROVED
    assert not Registration.objects.exists()


def test_approval_sms_carries_the_certificate_code(world, django_capture_on_commit_callbacks, sms_outbox):
    with django_capture_on_commit_callbacks(execute=True):
        application = world.approved()
    to_physician = [m for m in sms_outbox if m.to == world.physician.mobile][-1]
    assert application.practice_certificate_code in to_physician.body


# ---- Registration windows -------------------------------------------------------------


def window(authority, starts_on, ends_on):
    return RegistrationWindow.objects.create(authority=authority, starts_on=starts_on, ends_on=ends_on)


def test_without_windows_first_registrations_are_always_open(world):
    assert selectors.registration_window_status(institution=world.institution, on=timezone.localdate()) == (True, None)


def test_outside_a_window_submission_is_refused_with_the_next_opening_date(world):
    today = timezone.localdate()
    window(world.authority, today - datetime.timedelta(days=60), today - datetime.timedelta(days=30))
    upcoming = window(world.authority, today + datetime.timedelta(days=10), today + datetime.timedelta(days=40))
    later = window(world.authority, today + datetime.timedelta(days=100), today + datetime.timedelta(days=120))

    assert selectors.registration_window_status(institution=world.institution, on=today) == (False, upcoming)
    assert selectors.registration_window_status(institution=world.institution, on=upcoming.starts_on) == (True, None)
    assert selectors.registration_window_status(institution=world.institution, on=upcoming.ends_on)[0] is True
    assert selectors.registration_window_status(institution=world.institution, on=later.ends_on)[0] is True
    draft = world.draft()
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=draft, actor=world.physician)
    assert error.value.messages == [str(services.MSG_WINDOW_CLOSED % {"date": upcoming.starts_on.isoformat()})]
    draft.refresh_from_db()
    assert draft.state == Application.State.DRAFT and not draft.number


def test_windows_do_not_apply_to_other_application_types(world):
    registration = world.physician.registrations.get(certificate_code=world.approved().practice_certificate_code)
    today = timezone.localdate()
    window(world.authority, today + datetime.timedelta(days=10), today + datetime.timedelta(days=40))
    application = application_for(
        world.physician,
        world.institution,
        qualification=world.qualification,
        type=Type.CHANGE,
        registration=registration,
        scope="外科专业",
    )
    assert services.application_submit(application=application, actor=world.physician).state == "submitted"


def test_the_most_specific_authority_sets_the_windows(world):
    today = timezone.localdate()
    city = AuthorityFactory(region_id="110100")
    window(city, today + datetime.timedelta(days=5), today + datetime.timedelta(days=9))  # city: closed today
    assert selectors.registration_window_status(institution=world.institution, on=today)[0] is False
    window(world.authority, today, today)  # the district's own window wins
    assert selectors.registration_window_status(institution=world.institution, on=today) == (True, None)
    other_district = InstitutionFactory(region_id="110108")
    assert selectors.registration_window_status(institution=other_district, on=today)[0] is False
    chengdu = InstitutionFactory(region_id="510104")
    assert selectors.registration_window_status(institution=chengdu, on=today) == (True, None)


def test_no_next_window_is_said_plainly(world):
    today = timezone.localdate()
    window(world.authority, today - datetime.timedelta(days=60), today - datetime.timedelta(days=30))
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=world.draft(), actor=world.physician)
    assert error.value.messages == [str(services.MSG_WINDOW_CLOSED_NO_NEXT)]


# ---- Institution accounts -------------------------------------------------------------


def create_institution(clerk, **overrides):
    fields = dict(
        name="北京市朝阳区第三医院",
        registration_number="PDY88888-911010516",
        address="北京市朝阳区测试路3号",
        postcode="100020",
        region=Region.objects.get(code="110105"),
        responsible_person="赵强",
        mobile="13700000088",
        license_checked=True,
        authorisation_checked=True,
        entrusted_id_checked=True,
    )
    fields.update(overrides)
    return institution_services.institution_create_with_account(actor=clerk, **fields)


def sms_password(outbox, mobile):
    body = [m for m in outbox if m.to == mobile][-1].body
    return re.search(r"(?:password|密码)\s*([A-Za-z0-9]{10})", body).group(1)


def test_institution_account_gets_a_one_time_password_by_sms(world, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        institution, staff = create_institution(world.clerk)
    assert (staff.role, staff.institution, staff.must_change_password) == (Role.INSTITUTION, institution, True)
    password = sms_password(sms_outbox, "13700000088")
    assert authenticate(username=staff.username, password=password) == staff

    with django_capture_on_commit_callbacks(execute=True):
        institution_services.institution_staff_password_reset(actor=world.clerk, institution=institution)
    new_password = sms_password(sms_outbox, "13700000088")
    assert new_password != password
    assert authenticate(username=staff.username, password=password) is None
    assert authenticate(username=staff.username, password=new_password) == staff


def test_usernames_are_unique_even_for_similar_registration_numbers(world):
    _one, first = create_institution(world.clerk, registration_number="PDY-1")
    _two, second = create_institution(world.clerk, registration_number="PDY1")
    assert first.username == "jgpdy1" and second.username == "jgpdy1-2"


@pytest.mark.parametrize("unchecked", ["license_checked", "authorisation_checked", "entrusted_id_checked"])
def test_all_three_documents_must_be_checked(world, unchecked):
    with pytest.raises(ValidationError) as error:
        create_institution(world.clerk, **{unchecked: False})
    assert error.value.messages == [str(institution_services.MSG_DOCUMENTS_UNCHECKED)]
    assert not Institution.objects.filter(registration_number="PDY88888-911010516").exists()


def test_no_institution_outside_the_jurisdiction_and_nothing_sent(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError):
        create_institution(world.clerk, region=Region.objects.get(code="510104"))
    assert callbacks == []
    assert not User.objects.filter(username__startswith="jgpdy88888").exists()


def test_bad_details_create_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as error:
        create_institution(world.clerk, mobile="12345", postcode="10002")
    assert set(error.value.message_dict) == {"mobile", "postcode"}
    assert callbacks == []


def test_deactivated_institution_staff_cannot_sign_in_and_physicians_cannot_find_it(world):
    institution_services.institution_deactivate(actor=world.clerk, institution=world.institution)
    assert authenticate(username=world.staff.username, password=PASSWORD) is None
    assert world.institution not in selectors.institutions_search(world.institution.name)
    institution_services.institution_reactivate(actor=world.clerk, institution=world.institution)
    assert authenticate(username=world.staff.username, password=PASSWORD) == User.objects.get(pk=world.staff.pk)


def test_institutions_visible_to_a_clerk_are_those_of_the_jurisdiction(world):
    chengdu = InstitutionFactory(region_id="510104")
    city_clerk = ClerkFactory(authority=AuthorityFactory(region_id="110100"))
    assert list(selectors.institutions_visible_to(world.clerk)) == [world.institution]
    assert world.institution in selectors.institutions_visible_to(city_clerk)
    assert chengdu not in selectors.institutions_visible_to(city_clerk)
    assert not selectors.institutions_visible_to(world.staff).exists()


# ---- Reports --------------------------------------------------------------------------


def test_percentile_is_nearest_rank():
    assert reports.percentile([], 90) is None
    assert reports.percentile([5.0], 90) == 5.0
    assert reports.percentile([float(n) for n in range(1, 11)], 90) == 9.0
    assert reports.percentile([float(n) for n in range(1, 11)], 50) == 5.0


def test_report_counts_and_decision_times(world):
    decided = []
    for days in (2, 4, 6, 8, 30):
        physician = PhysicianFactory()
        application = approve(
            through_institution(
                application_for(physician, world.institution, qualification=qualification_for(physician)), world.staff
            ),
            world.clerk,
        )
        submitted = timezone.now() - datetime.timedelta(days=days)
        Application.objects.filter(pk=application.pk).update(submitted_at=submitted, decided_at=timezone.now())
        decided.append(application)
    world.institution_approved()

    report = reports.report_build(user=world.clerk)

    assert report.total == 6
    assert dict((v, n) for v, _label, n in report.by_state)["authority_approved"] == 5
    assert dict((v, n) for v, _label, n in report.by_state)["institution_approved"] == 1
    assert dict((v, n) for v, _label, n in report.by_type)["first"] == 6
    assert report.by_institution == [(world.institution.name, 6)]
    assert report.median_days == 6.0
    assert report.p90_days == 30.0
    assert reports.report_build(user=ClerkFactory(authority=AuthorityFactory(region_id="510100"))).total == 0


def test_decision_times_interpolate_the_median_and_take_the_nearest_rank_for_p90(world):
    """The same figures from PostgreSQL's PERCENTILE_CONT/DISC as from the Python fallback on SQLite."""
    for hours in (24, 60, 72, 240):  # 1.0, 2.5, 3.0 and 10.0 days
        physician = PhysicianFactory()
        application = approve(
            through_institution(
                application_for(physician, world.institution, qualification=qualification_for(physician)), world.staff
            ),
            world.clerk,
        )
        decided_at = timezone.now()
        Application.objects.filter(pk=application.pk).update(
            submitted_at=decided_at - datetime.timedelta(hours=hours), decided_at=decided_at
        )
    report = reports.report_build(user=world.clerk)
    assert (report.decided, report.median_days, report.p90_days) == (4, 2.8, 10.0)
    # counted by submission date: a range that holds none of them
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert reports.report_build(user=world.clerk, date_from=tomorrow).decided == 0


def test_a_full_serial_range_is_refused_clearly_and_nothing_changes(world):
    from docregistry.registrations.models import Counter

    Counter.objects.create(key="cert:110110105", value=999_999)
    application = world.institution_approved()
    with pytest.raises(ValidationError) as error:
        approve(application, world.clerk)
    assert error.value.messages == [str(services.MSG_SERIALS_EXHAUSTED % {"prefix": "110110105"})]
    application.refresh_from_db()
    assert application.state == Application.State.INSTITUTION_APPROVED
    assert Counter.objects.get(key="cert:110110105").value == 999_999


def test_a_registration_number_already_used_is_refused_and_nothing_sent(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as error:
        create_institution(world.clerk, registration_number=world.institution.registration_number)
    assert "registration_number" in error.value.message_dict
    assert callbacks == []
    assert Institution.objects.filter(registration_number=world.institution.registration_number).count() == 1


def test_report_figures_are_kept_until_beat_recomputes_them(world, settings):
    from django.core.cache import cache

    from docregistry.registrations.tasks import refresh_reports

    settings.REPORT_CACHE_SECONDS = 300
    cache.clear()
    world.institution_approved()
    first = reports.report_build(user=world.clerk)
    assert first.total == 1 and first.computed_at is not None
    world.institution_approved()
    assert reports.report_build(user=world.clerk).total == 1  # the kept figures, with their time shown
    assert refresh_reports.delay().get() == 1  # one jurisdiction
    assert reports.report_build(user=world.clerk).total == 2
    # a date range is kept apart from the unfiltered report
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert reports.report_build(user=world.clerk, date_from=tomorrow).total == 0
    cache.clear()
