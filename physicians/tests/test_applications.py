"""Applications through HTTP: each type, each rule, each bad input."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from docregistry.accounts.models import Role
from docregistry.registrations import services
from docregistry.registrations.models import Application, Level, Registration, RegistrationWindow
from tests import factories

from .helpers import form_data

pytestmark = pytest.mark.django_db
State = Application.State
Type = Application.Type


def page(response) -> str:
    return response.content.decode()


def create(client, world, type=Type.FIRST, qualification=None):
    response = client.post(
        reverse("physicians:application_new"),
        {"type": type, "qualification": (qualification or world.qualification).pk},
    )
    return response, world.physician.applications.order_by("-pk").first()


def save(client, application, **kwargs):
    return client.post(reverse("physicians:application_edit", args=[application.pk]), form_data(application, **kwargs))


def registered(world, **fields) -> Registration:
    """The physician's first registration, approved by the authority."""
    world.approved(**fields)
    return world.physician.registrations.get()


# ---- Creating a draft ----------------------------------------------------------------


def test_a_first_registration_takes_level_category_and_code_from_the_qualification(phys_client, world):
    response, application = create(phys_client, world)

    assert response["Location"] == reverse("physicians:application_edit", args=[application.pk])
    q = world.qualification
    assert (application.type, application.state) == (Type.FIRST, State.DRAFT)
    assert (application.name, application.level, application.category) == (q.name, q.level, q.category)
    assert application.qualification_code == q.certificate_code
    assert application.physician_qualified_on == q.obtained_on


def test_level_and_category_cannot_be_edited(phys_client, world):
    _, application = create(phys_client, world)
    save(
        phys_client,
        application,
        level=Level.ASSISTANT,
        category="tcm",
        institution=world.institution.pk,
        scope="内科专业",
    )
    application.refresh_from_db()
    assert (application.level, application.category, application.scope) == (Level.PHYSICIAN, "clinical", "内科专业")
    html = page(phys_client.get(reverse("physicians:application_edit", args=[application.pk])))
    assert 'name="level"' not in html and 'name="category"' not in html


def test_without_a_matched_qualification_nobody_may_apply(client, world):
    stranger = factories.PhysicianFactory(real_name="赵六")
    client.force_login(stranger)
    response = client.post(
        reverse("physicians:application_new"), {"type": Type.FIRST, "qualification": world.qualification.pk}
    )
    assert response.status_code == 200
    assert not stranger.applications.exists()
    with pytest.raises(ValidationError) as exc:
        services.application_create(physician=stranger, type=Type.FIRST, qualification=world.qualification)
    assert exc.value.message_dict["qualification"] == [str(services.MSG_QUALIFICATION_NOT_MATCHED)]


def test_only_one_open_application_at_a_time(phys_client, world):
    _, first = create(phys_client, world)
    response, _ = create(phys_client, world, type=Type.FIRST)
    assert response.status_code == 200
    assert world.physician.applications.count() == 1
    assert reverse("physicians:application_detail", args=[first.pk]) in page(response)
    with pytest.raises(ValidationError) as exc:
        services.application_create(physician=world.physician, type=Type.FIRST, qualification=world.qualification)
    assert exc.value.messages == [str(services.MSG_ONE_OPEN_APPLICATION % {"number": first.get_state_display()})]


def test_a_first_registration_is_refused_once_registered(phys_client, world):
    registered(world)
    response, _ = create(phys_client, world, type=Type.FIRST)
    assert escape(str(services.MSG_FIRST_ALREADY_REGISTERED)) in page(response)


@pytest.mark.parametrize("kind", [Type.CHANGE, Type.MULTI_SITE, Type.UPGRADE, Type.CANCEL])
def test_types_that_concern_a_registration_need_one_in_force(phys_client, world, kind):
    response, application = create(phys_client, world, type=kind)
    assert application is None
    assert escape(str(services.MSG_REGISTRATION_IN_FORCE_REQUIRED)) in page(response)


def test_re_registration_needs_a_cancelled_registration(phys_client, world):
    response, application = create(phys_client, world, type=Type.REREGISTER)
    assert application is None
    assert escape(str(services.MSG_REREGISTER_NOT_CANCELLED)) in page(response)


# ---- The fields of each type ----------------------------------------------------------

FIELDS = {
    Type.FIRST: {"institution", "education", "title", "teaching_title", "health_status", "scope"},
    Type.CHANGE: {"institution", "education", "title", "teaching_title", "health_status", "scope"},
    Type.MULTI_SITE: {"institution", "scope", "site_starts_on", "site_ends_on"},
    Type.UPGRADE: {"institution", "education", "title", "teaching_title", "health_status"},
    Type.CANCEL: {"cancellation_reason"},
    Type.REREGISTER: {
        "institution",
        "education",
        "title",
        "teaching_title",
        "health_status",
        "scope",
        "practice_suspended",
    },
    Type.ADDITIONAL: {"institution", "education", "title", "teaching_title", "health_status", "scope"},
}
ALL_FIELDS = set().union(*FIELDS.values())


def test_each_type_asks_exactly_its_fields(phys_client, world):
    for kind in Type.values:
        application = world.draft(type=kind)
        html = page(phys_client.get(reverse("physicians:application_edit", args=[application.pk])))
        shown = {name for name in ALL_FIELDS if f'name="{name}"' in html}
        assert shown == FIELDS[kind], kind
        application.delete()


# ---- Scope, title, work history --------------------------------------------------------


def test_the_scope_must_belong_to_the_category(phys_client, world):
    _, application = create(phys_client, world)
    response = save(phys_client, application, scope="口腔专业", institution=world.institution.pk)
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.scope == ""
    with pytest.raises(ValidationError) as exc:
        services.application_update(application=application, actor=world.physician, data={"scope": "口腔专业"})
    assert "scope" in exc.value.message_dict
    # And submitting without a scope is refused by the service.
    with pytest.raises(ValidationError) as exc:
        services.application_submit(application=application, actor=world.physician)
    assert "scope" in exc.value.message_dict


def test_the_scope_list_is_the_categorys(phys_client, world):
    _, application = create(phys_client, world)
    html = page(phys_client.get(reverse("physicians:application_edit", args=[application.pk])))
    assert "内科专业" in html and "全科医学专业" in html
    assert "口腔专业" not in html and "中医专业" not in html


def test_a_teaching_title_sets_the_clinical_title(phys_client, world):
    _, application = create(phys_client, world)
    save(
        phys_client, application, teaching_title="副教授", title="", institution=world.institution.pk, scope="内科专业"
    )
    application.refresh_from_db()
    assert (application.teaching_title, application.title) == ("副教授", "副主任医师")


def test_work_history_is_saved_as_periods(phys_client, world):
    _, application = create(phys_client, world)
    periods = [("2019-09-01", "2022-06-30", "北京协和医院", "住院医师"), ("2022-07-01", "", "北京朝阳医院", "")]
    save(phys_client, application, periods=periods, scope="内科专业")
    saved = list(application.work_periods.values_list("starts_on", "ends_on", "employer"))
    assert saved == [
        (datetime.date(2019, 9, 1), datetime.date(2022, 6, 30), "北京协和医院"),
        (datetime.date(2022, 7, 1), None, "北京朝阳医院"),
    ]


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ([("2022-01-01", "2021-01-01", "甲医院", "")], services.MSG_WORK_PERIOD_ORDER % {"n": 1}),
        (
            [("2019-01-01", "2021-01-01", "甲医院", ""), ("2020-06-01", "2022-01-01", "乙医院", "")],
            services.MSG_WORK_PERIOD_OVERLAP % {"a": 1, "b": 2},
        ),
        (
            [("2019-01-01", "", "甲医院", ""), ("2020-06-01", "2022-01-01", "乙医院", "")],
            services.MSG_WORK_PERIOD_OVERLAP % {"a": 1, "b": 2},
        ),
        ([("2019-01-01", "2020-01-01", "", "")], services.MSG_WORK_PERIOD_EMPLOYER % {"n": 1}),
    ],
)
def test_bad_work_history_is_refused_and_every_value_kept(phys_client, world, periods, message):
    _, application = create(phys_client, world)
    response = save(phys_client, application, periods=periods, education="硕士研究生", scope="内科专业")
    html = page(response)
    assert response.status_code == 200
    assert escape(str(message)) in html
    assert 'value="硕士研究生"' in html
    assert f'value="{periods[-1][0]}"' in html
    application.refresh_from_db()
    assert application.education == "" and not application.work_periods.exists()


# ---- Institution search ------------------------------------------------------------------


def test_institutions_are_found_by_name_or_registration_number(phys_client, world):
    factories.InstitutionFactory(name="已停用医院", is_active=False)
    url = reverse("physicians:institution_search")
    by_name = phys_client.get(url, {"q": world.institution.name[:4]}).json()["results"]
    by_number = phys_client.get(url, {"q": world.institution.registration_number[:8]}).json()["results"]
    assert world.institution.pk in {r["id"] for r in by_name}
    assert [r["name"] for r in by_number] == [world.institution.name]
    assert phys_client.get(url, {"q": "已停用"}).json()["results"] == []


def test_without_javascript_the_institution_is_chosen_from_a_search_page(phys_client, world):
    _, application = create(phys_client, world)
    response = save(phys_client, application, pick_institution="1", scope="内科专业")
    url = reverse("physicians:institution_pick", args=[application.pk])
    assert response["Location"] == url
    html = page(phys_client.get(url, {"q": world.institution.registration_number}))
    assert world.institution.name in html
    phys_client.post(url, {"institution": world.institution.pk})
    application.refresh_from_db()
    assert application.institution == world.institution
    assert application.scope == "内科专业"


def test_an_institution_cannot_be_typed_as_free_text(phys_client, world):
    _, application = create(phys_client, world)
    save(phys_client, application, institution="北京某某医院", scope="内科专业")
    application.refresh_from_db()
    assert application.institution is None


# ---- Draft, submit, return, withdraw ------------------------------------------------------


def test_save_a_draft_resume_later_and_submit(phys_client, world):
    _, application = create(phys_client, world)
    response = save(phys_client, application, institution=world.institution.pk, scope="儿科专业", education="本科")
    assert response["Location"] == reverse("physicians:application_edit", args=[application.pk])
    html = page(phys_client.get(response["Location"]))
    assert 'value="儿科专业" selected' in html and world.institution.name in html

    response = save(phys_client, application, submit="1", institution=world.institution.pk, scope="儿科专业")
    application.refresh_from_db()
    assert response["Location"] == reverse("physicians:application_detail", args=[application.pk])
    assert application.state == State.SUBMITTED and application.number
    html = page(phys_client.get(response["Location"]))
    assert world.institution.name in html  # "waiting for <institution> to confirm"
    assert application.number in html


def test_a_submitted_application_can_no_longer_be_edited(phys_client, world):
    application = world.submitted()
    response = phys_client.get(reverse("physicians:application_edit", args=[application.pk]))
    assert response["Location"] == reverse("physicians:application_detail", args=[application.pk])
    save(phys_client, application, education="博士研究生")
    application.refresh_from_db()
    assert application.education == "本科"
    with pytest.raises(services.NotAllowed):
        services.application_update(application=application, actor=world.physician, data={"education": "x"})


def test_a_returned_application_is_edited_and_submitted_again(phys_client, world):
    application = services.application_return_by_institution(
        application=world.submitted(), actor=world.staff, comment="请补充工作经历"
    )
    html = page(phys_client.get(reverse("physicians:application_detail", args=[application.pk])))
    assert "请补充工作经历" in html
    assert str(Role.INSTITUTION.label) in html

    html = page(phys_client.get(reverse("physicians:application_edit", args=[application.pk])))
    assert "请补充工作经历" in html.split('id="return-reason"')[1]
    save(phys_client, application, periods=[("2020-01-01", "", "测试医院", "")])
    response = phys_client.post(reverse("physicians:application_submit", args=[application.pk]))
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    assert application.work_periods.count() == 1
    assert response["Location"] == reverse("physicians:application_detail", args=[application.pk])


def test_withdraw_before_a_decision_but_not_after(phys_client, world):
    application = world.submitted()
    phys_client.post(reverse("physicians:application_withdraw", args=[application.pk]))
    application.refresh_from_db()
    assert application.state == State.WITHDRAWN

    approved = world.approved()
    html = page(phys_client.get(reverse("physicians:application_detail", args=[approved.pk])))
    assert reverse("physicians:application_withdraw", args=[approved.pk]) not in html
    phys_client.post(reverse("physicians:application_withdraw", args=[approved.pk]))
    approved.refresh_from_db()
    assert approved.state == State.AUTHORITY_APPROVED


def test_the_timeline_shows_every_change_with_time_role_and_comment(phys_client, world):
    application = services.application_return_by_authority(
        application=world.institution_approved(), actor=world.clerk, comment="照片不符合要求"
    )
    response = phys_client.get(reverse("physicians:application_detail", args=[application.pk]))
    timeline = page(response).split('id="timeline"')[1]
    assert timeline.count("<li>") == 4  # created, submitted, confirmed, returned
    assert "照片不符合要求" in timeline
    assert str(Role.AUTHORITY.label) in timeline and str(Role.INSTITUTION.label) in timeline
    change = application.status_changes.last()
    assert timezone.localtime(change.created_at).strftime("%Y-%m-%d %H:%M") in timeline


def test_home_shows_the_registration_in_force_with_its_certificate_code(phys_client, world):
    application = world.approved()
    html = page(phys_client.get(reverse("physicians:index")))
    assert application.practice_certificate_code in html
    assert world.institution.name in html


# ---- The other types ----------------------------------------------------------------------


def test_a_change_moves_the_registration_to_another_institution(phys_client, world):
    registration = registered(world)
    other = factories.InstitutionFactory(name="北京市第二医院")
    response, application = create(phys_client, world, type=Type.CHANGE)
    assert application.registration == registration
    assert (application.institution, application.scope) == (world.institution, registration.scope)
    save(phys_client, application, institution=other.pk, scope="外科专业", submit="1")
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    assert (application.institution, application.scope) == (other, "外科专业")


def test_multi_site_practice_needs_another_institution(phys_client, world):
    registered(world)
    _, application = create(phys_client, world, type=Type.MULTI_SITE)
    assert application.institution is None and application.scope == "内科专业"
    save(phys_client, application, institution=world.institution.pk, site_starts_on="2026-01-01", submit="1")
    application.refresh_from_db()
    assert application.state == State.DRAFT
    with pytest.raises(ValidationError) as exc:
        services.application_submit(application=application, actor=world.physician)
    assert exc.value.message_dict["institution"] == [str(services.MSG_SITE_SAME_INSTITUTION)]

    other = factories.InstitutionFactory()
    response = save(
        phys_client, application, institution=other.pk, site_starts_on="2026-03-01", site_ends_on="2026-02-01"
    )
    assert escape(str(services.MSG_SITE_DATES)) in page(response)
    save(
        phys_client,
        application,
        institution=other.pk,
        site_starts_on="2026-03-01",
        site_ends_on=(timezone.localdate() + datetime.timedelta(days=365)).isoformat(),
        submit="1",
    )
    application.refresh_from_db()
    assert application.state == State.SUBMITTED


def test_cancellation_asks_only_for_the_reason(phys_client, world):
    registration = registered(world)
    _, application = create(phys_client, world, type=Type.CANCEL)
    response = save(phys_client, application, cancellation_reason="", submit="1")
    assert response.status_code == 200
    save(phys_client, application, cancellation_reason="调离医疗卫生机构", submit="1")
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    assert application.institution == registration.institution


def test_re_registration_after_a_cancellation(phys_client, world):
    registration = registered(world)
    registration.state = Registration.State.CANCELLED
    registration.save(update_fields=["state"])
    _, application = create(phys_client, world, type=Type.REREGISTER)
    assert application.registration is None
    save(phys_client, application, institution=world.institution.pk, scope="内科专业", submit="1")
    application.refresh_from_db()
    assert application.state == State.SUBMITTED


@pytest.fixture
def assistant_world(world):
    """An assistant physician registered as such, who has now obtained the physician qualification."""
    assistant_q = factories.qualification_for(
        world.physician, level=Level.ASSISTANT, obtained_on=timezone.localdate() - datetime.timedelta(days=900)
    )
    Registration.objects.create(
        physician=world.physician,
        certificate_code="210110105000001",
        institution=world.institution,
        authority=world.authority,
        level=Level.ASSISTANT,
        category="clinical",
        scope="儿科专业",
        effective_on=timezone.localdate() - datetime.timedelta(days=800),
    )
    world.assistant_qualification = assistant_q
    return world


def test_an_upgrade_keeps_the_assistant_scope_locked(phys_client, assistant_world):
    world = assistant_world
    _, application = create(phys_client, world, type=Type.UPGRADE)
    assert application.scope == "儿科专业"
    assert application.assistant_qualified_on == world.assistant_qualification.obtained_on
    assert application.physician_qualified_on == world.qualification.obtained_on
    html = page(phys_client.get(reverse("physicians:application_edit", args=[application.pk])))
    assert 'id="locked-scope"' in html and 'name="scope"' not in html

    save(phys_client, application, scope="内科专业")
    application.refresh_from_db()
    assert application.scope == "儿科专业"
    with pytest.raises(ValidationError) as exc:
        services.application_update(application=application, actor=world.physician, data={"scope": "内科专业"})
    assert exc.value.message_dict["scope"] == [str(services.MSG_SCOPE_LOCKED % {"scope": "儿科专业"})]

    save(phys_client, application, scope=None, submit="1")
    application.refresh_from_db()
    assert application.state == State.SUBMITTED


def test_an_upgrade_needs_the_physician_qualification(phys_client, assistant_world):
    world = assistant_world
    response, application = create(phys_client, world, type=Type.UPGRADE, qualification=world.assistant_qualification)
    assert application is None
    assert escape(str(services.MSG_UPGRADE_NEEDS_ASSISTANT)) in page(response)


def test_a_half_filled_draft_is_saved_but_not_submitted(phys_client, world):
    _, application = create(phys_client, world)
    response = save(phys_client, application, education="", scope="内科专业")
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.scope == "内科专业"

    response = save(
        phys_client, application, education="", scope="内科专业", institution=world.institution.pk, submit="1"
    )
    assert response.status_code == 200
    assert escape(str(services.MSG_REQUIRED_TO_SUBMIT)) in page(response)
    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert application.institution == world.institution  # what was typed is kept


def test_outside_the_registration_window_the_physician_sees_when_it_opens(phys_client, world):
    opens = timezone.localdate() + datetime.timedelta(days=30)
    RegistrationWindow.objects.create(
        authority=world.authority, starts_on=opens, ends_on=opens + datetime.timedelta(days=60)
    )
    application = world.draft()
    for url_name in ("application_detail", "application_edit"):
        html = page(phys_client.get(reverse(f"physicians:{url_name}", args=[application.pk])))
        assert opens.isoformat() in html.split('id="window-notice"')[1]
        assert 'name="submit"' not in html
        assert reverse("physicians:application_submit", args=[application.pk]) not in html
    phys_client.post(reverse("physicians:application_submit", args=[application.pk]))
    application.refresh_from_db()
    assert application.state == State.DRAFT


def test_a_category_change_uses_the_other_matched_qualification(phys_client, world):
    registered(world)
    tcm = factories.qualification_for(world.physician, category="tcm")
    _, application = create(phys_client, world, type=Type.CHANGE, qualification=tcm)
    assert (application.category, application.qualification_code, application.scope) == (
        "tcm",
        tcm.certificate_code,
        "",
    )
    html = page(phys_client.get(reverse("physicians:application_edit", args=[application.pk])))
    assert "中医专业" in html and "内科专业" not in html
    save(phys_client, application, scope="中西医结合专业", submit="1")
    application.refresh_from_db()
    assert (application.state, application.scope) == (State.SUBMITTED, "中西医结合专业")
