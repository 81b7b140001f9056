"""The physician's side: starting a draft, editing it, the rules checked at submit, submitting and withdrawing.

What each type of application lets the physician fill in, and what it needs, is
``types.APPLICATION_TYPES``; the functions here only read that table.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User
from qualifications.selectors import qualification_match

from .. import calendar, register, selectors
from ..choices import TEACHING_TITLE_MAP, Level
from ..models import OPEN_STATES, Application, Document, PracticeScope, Registration, WorkPeriod
from ..types import APPLICATION_TYPES, TRAINING_LINE, LevelRule, Needs
from ..workflow import EDITABLE_STATES, may_act
from .transitions import MSG_NOT_ALLOWED, NotAllowed, application_transition, next_value
from .windows import application_check_window

AppType = Application.Type

MSG_ONE_OPEN_APPLICATION = _("You already have an open application (%(number)s). Finish or withdraw it first.")
MSG_SCOPE_NOT_ALLOWED = _("“%(scope)s” is not a practice scope of the category %(category)s.")
MSG_INSTITUTION_REQUIRED = _("Choose the institution that will confirm this application.")
MSG_QUALIFICATION_NOT_MATCHED = _(
    "Only a qualification record matched to your name and ID number may be used for an application."
)
MSG_TYPE_UNKNOWN = _("Choose the kind of application.")
MSG_FIRST_ALREADY_REGISTERED = _(
    "You already have a practice registration: a first registration is no longer possible. "
    "Choose a change, multi-site practice, upgrade, cancellation or re-registration."
)
MSG_REGISTRATION_IN_FORCE_REQUIRED = _("This kind of application needs a practice registration in force.")
MSG_REREGISTER_NOT_CANCELLED = _(
    "Re-registration is for a physician whose registration was cancelled and who has none in force."
)
MSG_UPGRADE_NEEDS_ASSISTANT = _(
    "An upgrade needs an assistant physician registration in force and a licensed physician qualification."
)
MSG_CHANGE_LEVEL = _("A change keeps the qualification level; to become a licensed physician, apply for an upgrade.")
MSG_NOT_EDITABLE = _("This application can be edited only as a draft or after it has been returned to you.")
MSG_SCOPE_LOCKED = _(
    "An upgrade keeps the practice scope of the assistant registration (%(scope)s); "
    "change the scope with a separate change application."
)
MSG_TEACHING_TITLE = _("Choose a teaching title from the list.")
MSG_WORK_PERIOD_ORDER = _("Work history, period %(n)s: the start date is after the end date.")
MSG_WORK_PERIOD_OVERLAP = _("Work history: periods %(a)s and %(b)s overlap.")
MSG_WORK_PERIOD_FUTURE = _("Work history, period %(n)s: the start date is in the future.")
MSG_WORK_PERIOD_EMPLOYER = _("Work history, period %(n)s: enter the employer.")
MSG_WORK_PERIOD_START = _("Work history, period %(n)s: enter the start date.")
MSG_SITE_DATES = _("The end date is before the start date.")
MSG_SITE_SAME_INSTITUTION = _("This is your main institution already; choose another institution.")
MSG_INSTITUTION_INACTIVE = _("This institution does not accept applications.")
MSG_TRAINING_LINE_REQUIRED = _(
    "The two-year rule applies to you: give the training institution, the training period and the assessment "
    "result as they are printed on the review form."
)
MSG_TRAINING_PROOF_REQUIRED = _(
    "Upload the proof of six months of training with a passed assessment: the qualification was obtained "
    "more than two years ago, or practice was suspended for two years or more."
)
MSG_REQUIRED_TO_SUBMIT = _("Fill this in before submitting.")

# Fields the physician may clear back to "nothing" rather than to an empty string.
NULLABLE_FIELDS = ("institution", "site_starts_on", "site_ends_on")


def application_number_issue(*, application: Application) -> str:
    """``2026-110105-000123``: year, the institution's region code, serial within both."""
    year = timezone.localdate().year
    region = application.institution.region_id
    return f"{year}-{region}-{next_value(f'app:{year}:{region}'):06d}"


def application_ensure_none_open(*, physician: User, excluding: Application | None = None) -> None:
    open_app = physician.applications.filter(state__in=OPEN_STATES)
    if excluding is not None:
        open_app = open_app.exclude(pk=excluding.pk)
    existing = open_app.first()
    if existing is not None:
        raise ValidationError(MSG_ONE_OPEN_APPLICATION % {"number": existing.number or existing.get_state_display()})


def _eligibility_errors(*, physician: User, kind, qualification, in_force: Registration | None) -> dict:
    """What the physician's register must hold to start an application of ``kind``: field → message."""
    if kind.needs == Needs.NOTHING_EVER and physician.registrations.exists():
        return {"type": MSG_FIRST_ALREADY_REGISTERED}
    if kind.needs == Needs.IN_FORCE and in_force is None:
        return {"type": MSG_REGISTRATION_IN_FORCE_REQUIRED}
    if kind.needs == Needs.CANCELLED and (
        in_force is not None or not physician.registrations.filter(state=Registration.State.CANCELLED).exists()
    ):
        return {"type": MSG_REREGISTER_NOT_CANCELLED}
    if kind.level == LevelRule.UPGRADE and (
        in_force.level != Level.ASSISTANT or qualification.level != Level.PHYSICIAN
    ):
        return {"qualification": MSG_UPGRADE_NEEDS_ASSISTANT}
    if kind.level == LevelRule.PHYSICIAN and (
        in_force.level != Level.PHYSICIAN or qualification.level != Level.PHYSICIAN
    ):
        return {"type": register.MSG_ADDITIONAL_NEEDS_PHYSICIAN}
    if kind.level == LevelRule.SAME and qualification.level != in_force.level:
        return {"qualification": MSG_CHANGE_LEVEL}
    return {}


@transaction.atomic
def application_create(*, physician: User, type: str, qualification) -> Application:
    """Start a draft: level, category, code and dates come from the matched qualification."""
    kind = APPLICATION_TYPES.get(type)
    if kind is None:
        raise ValidationError({"type": MSG_TYPE_UNKNOWN})
    matched = qualification_match(name=physician.real_name, id_number=physician.id_number)
    if qualification is None or not matched.filter(pk=qualification.pk).exists():
        raise ValidationError({"qualification": MSG_QUALIFICATION_NOT_MATCHED})
    User.objects.select_for_update().filter(pk=physician.pk).exists()  # two clicks on "create" make one draft
    application_ensure_none_open(physician=physician)
    in_force = selectors.registration_in_force(physician)
    errors = _eligibility_errors(physician=physician, kind=kind, qualification=qualification, in_force=in_force)
    if errors:
        raise ValidationError(errors)
    concerned = in_force if kind.needs_registration else None
    application = Application(
        type=type,
        physician=physician,
        qualification=qualification,
        registration=concerned,
        name=qualification.name,
        level=qualification.level,
        category=qualification.category,
        qualification_code=qualification.certificate_code,
    )
    assistant_records = [r for r in matched if r.level == Level.ASSISTANT and r.category == qualification.category]
    if assistant_records:
        application.assistant_qualified_on = assistant_records[-1].obtained_on
    if qualification.level == Level.PHYSICIAN:
        application.physician_qualified_on = qualification.obtained_on
    else:
        application.assistant_qualified_on = qualification.obtained_on
    if concerned is not None:
        if not (kind.files_site or kind.other_area):
            application.institution = concerned.institution
        if concerned.category == qualification.category:
            application.scope = concerned.scope
            if "extra_scopes" in kind.editable:
                application.extra_scopes = list(concerned.extra_scopes)
    application.full_clean(exclude=["number"])
    application.save()
    return application


def work_periods_clean(periods: list[dict]) -> list[dict]:
    """A repeatable set of periods: each from ≤ to, none in the future, none overlapping another."""
    errors = []
    today = timezone.localdate()
    periods = [p for p in periods if any(p.get(key) for key in ("starts_on", "ends_on", "employer", "position"))]
    for n, period in enumerate(periods, start=1):
        period["employer"] = (period.get("employer") or "").strip()
        period["position"] = (period.get("position") or "").strip()
        if not period.get("starts_on"):
            errors.append(MSG_WORK_PERIOD_START % {"n": n})
            continue
        if not period["employer"]:
            errors.append(MSG_WORK_PERIOD_EMPLOYER % {"n": n})
        if period["starts_on"] > today:
            errors.append(MSG_WORK_PERIOD_FUTURE % {"n": n})
        if period.get("ends_on") and period["starts_on"] > period["ends_on"]:
            errors.append(MSG_WORK_PERIOD_ORDER % {"n": n})
    if not errors:
        numbered = sorted(enumerate(periods, start=1), key=lambda item: item[1]["starts_on"])
        for (a, earlier), (b, later) in zip(numbered, numbered[1:], strict=False):
            # A period may end on the day the next one starts; an open end (to date) overlaps anything later.
            if earlier.get("ends_on") is None or later["starts_on"] < earlier["ends_on"]:
                errors.append(MSG_WORK_PERIOD_OVERLAP % {"a": min(a, b), "b": max(a, b)})
    if errors:
        raise ValidationError({"work_periods": errors})
    return periods


def application_editable_get(*, application: Application, actor: User) -> Application:
    """The application locked for an edit by its physician, in draft or returned state only."""
    if not may_act(actor, application, Role.PHYSICIAN):
        raise NotAllowed(MSG_NOT_ALLOWED)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state not in EDITABLE_STATES:
        raise NotAllowed(MSG_NOT_EDITABLE)
    return locked


def _scope_allowed(application: Application) -> bool:
    return PracticeScope.objects.filter(category=application.category, is_active=True, name=application.scope).exists()


def _field_errors(application: Application, kind, data: dict) -> dict:
    """Copy what the physician typed onto ``application`` (the type's fields only); return field → message."""
    errors: dict = {}
    if kind.scope_locked and data.get("scope") not in (None, "", application.scope):
        errors["scope"] = MSG_SCOPE_LOCKED % {"scope": application.scope}
    for field in kind.editable:
        if field in data:
            value = data[field]
            setattr(application, field, "" if value is None and field not in NULLABLE_FIELDS else value)
    if application.teaching_title and "teaching_title" in kind.editable:
        if application.teaching_title in TEACHING_TITLE_MAP:
            application.title = TEACHING_TITLE_MAP[application.teaching_title]
        else:
            errors["teaching_title"] = MSG_TEACHING_TITLE
    if "scope" in kind.editable and application.scope and not _scope_allowed(application):
        errors["scope"] = MSG_SCOPE_NOT_ALLOWED % {
            "scope": application.scope,
            "category": application.get_category_display(),
        }
    if "extra_scopes" in kind.editable:
        application.extra_scopes = [s for s in application.extra_scopes or [] if s and s != application.scope]
        errors.update(register.scope_list_errors(application=application))
    if application.institution is not None and not application.institution.is_active:
        errors["institution"] = MSG_INSTITUTION_INACTIVE
    if (
        application.site_starts_on
        and application.site_ends_on
        and application.site_ends_on < application.site_starts_on
    ):
        errors["site_ends_on"] = MSG_SITE_DATES
    return errors


@transaction.atomic
def application_update(
    *, application: Application, actor: User, data: dict, work_periods: list[dict] | None = None
) -> Application:
    """Save what the physician typed, in draft or returned state only; fields of other types are ignored."""
    locked = application_editable_get(application=application, actor=actor)
    kind = locked.kind
    errors = _field_errors(locked, kind, data)
    periods = work_periods if kind.work_history else None
    if periods is not None:
        try:
            periods = work_periods_clean(periods)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    locked.full_clean(exclude=["number", "physician", "qualification", "registration", "institution"])
    saved = {*kind.editable, "title", "updated_at"}
    if kind.files_site and locked.registration_id and locked.institution_id:
        # A site in the area of an additional registration (增加注册) is filed under that registration.
        locked.registration = register.registration_for_site(
            registration=locked.registration, institution=locked.institution
        )
        saved.add("registration")
    locked.save(update_fields=sorted(saved))
    if periods is not None:
        locked.work_periods.all().delete()
        WorkPeriod.objects.bulk_create(
            WorkPeriod(
                application=locked,
                starts_on=p["starts_on"],
                ends_on=p.get("ends_on"),
                employer=p["employer"][:100],
                position=p["position"][:50],
            )
            for p in periods
        )
    return locked


def qualified_over_two_years_before(obtained: datetime.date | None, day: datetime.date | None = None) -> bool:
    """Whether a qualification obtained on ``obtained`` is more than two years old on ``day`` (default today)."""
    return obtained is not None and obtained < calendar.add_years(day or timezone.localdate(), -2)


def two_year_rule_reason(*, application: Application) -> str:
    """Why the training proof is needed (SPEC section 3, seed Q6): ``suspended``, ``qualified`` or ``""``.

    Qualified more than two years before applying, or practice suspended two years or more.
    """
    if application.practice_suspended:
        return "suspended"
    if not application.kind.two_year_from_qualification:
        return ""
    applied_on = timezone.localdate(application.submitted_at) if application.submitted_at else timezone.localdate()
    return "qualified" if qualified_over_two_years_before(application_qualified_on(application), applied_on) else ""


def application_qualified_on(application: Application) -> datetime.date | None:
    """The date the qualification the application rests on was obtained."""
    if application.level == Level.PHYSICIAN:
        return application.physician_qualified_on
    return application.assistant_qualified_on


def two_year_rule_applies(*, application: Application) -> bool:
    """Seed Q6: qualified more than two years before applying, or practice suspended two years or more."""
    return bool(two_year_rule_reason(application=application))


def _registration_errors(application: Application) -> dict:
    """What the registration an application concerns must be at submit: field → message."""
    registration = application.registration
    if registration is None or registration.state != Registration.State.ACTIVE:
        return {"registration": MSG_REGISTRATION_IN_FORCE_REQUIRED}
    if application.kind.scope_locked and application.scope != registration.scope:
        return {"scope": MSG_SCOPE_LOCKED % {"scope": registration.scope}}
    if application.kind.files_site and application.institution_id == registration.institution_id:
        return {"institution": MSG_SITE_SAME_INSTITUTION}
    if application.kind.files_site:
        return register.filing_errors(application=application)
    if application.kind.other_area:
        return register.additional_errors(application=application)
    return {}


def application_check_rules(*, application: Application) -> None:
    """The rules every application must satisfy to be submitted (not only in forms)."""
    kind = application.kind
    errors = {}
    if kind.needs_institution:
        if application.institution_id is None:
            errors["institution"] = MSG_INSTITUTION_REQUIRED
        if not _scope_allowed(application):
            errors["scope"] = MSG_SCOPE_NOT_ALLOWED % {
                "scope": application.scope,
                "category": application.get_category_display(),
            }
    errors.update(
        {field: MSG_REQUIRED_TO_SUBMIT for field in kind.required_to_submit if not getattr(application, field)}
    )
    if kind.needs_registration:
        errors.update(_registration_errors(application))
    if (
        two_year_rule_applies(application=application)
        and not application.documents.filter(kind=Document.Kind.TRAINING_PROOF).exists()
    ):
        errors["documents"] = MSG_TRAINING_PROOF_REQUIRED
    if (
        TRAINING_LINE in kind.editable
        and two_year_rule_applies(application=application)
        and not application.training_assessment.strip()
    ):
        errors[TRAINING_LINE] = MSG_TRAINING_LINE_REQUIRED
    if errors:
        raise ValidationError(errors)


def application_submit(*, application: Application, actor: User, ip: str | None = None) -> Application:
    application_check_rules(application=application)
    application_check_window(application=application)
    # After a 补正 return the decision clock runs again; the paused working days move its deadline.
    updates = {"submitted_at": timezone.now(), **calendar.clock_resume_updates(application)}
    if not application.number:
        updates["number"] = application_number_issue(application=application)
    return application_transition(application=application, name="submit", actor=actor, ip=ip, **updates)


def application_withdraw(*, application: Application, actor: User, ip: str | None = None) -> Application:
    return application_transition(application=application, name="withdraw", actor=actor, ip=ip)
