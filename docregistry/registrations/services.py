"""Every write to the shared domain, and every move of an application.

What may happen to an application is declared once, in ``TRANSITIONS``. Each
transition is guarded (who, from which states), atomic, serialised against a
concurrent move of the same application, and writes a ``StatusChange`` row.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from . import codes, selectors
from .models import (
    OPEN_STATES,
    TEACHING_TITLE_MAP,
    Application,
    Counter,
    Document,
    Institution,
    Level,
    PracticeScope,
    PracticeSite,
    Registration,
    RegistrationWindow,
    StatusChange,
    WorkPeriod,
)
from .notifications import notify_application_change

State = Application.State

MSG_ALREADY_HANDLED = _(
    "This application has already been handled by someone else and is now “%(state)s”. Nothing was changed."
)
MSG_NOT_ALLOWED = _("You may not do this with this application.")
MSG_REASON_REQUIRED = _("Please give the reason; the physician will read it.")
MSG_GROUND_REQUIRED = _("Please choose the legal ground for the refusal.")
MSG_CHECKLIST_INCOMPLETE = _("Tick every paper material as received before approving: %(missing)s.")
MSG_ONE_OPEN_APPLICATION = _("You already have an open application (%(number)s). Finish or withdraw it first.")
MSG_SCOPE_NOT_ALLOWED = _("“%(scope)s” is not a practice scope of the category %(category)s.")
MSG_INSTITUTION_REQUIRED = _("Choose the institution that will confirm this application.")
MSG_WINDOW_CLOSED = _(
    "First registrations are not accepted now in this region. The next registration window opens on %(date)s."
)
MSG_WINDOW_CLOSED_NO_NEXT = _(
    "First registrations are not accepted now in this region, and no next registration window has been announced yet."
)
MSG_REGISTRATION_REQUIRED = _("This application does not name the registration it concerns.")
MSG_SERIALS_EXHAUSTED = _("All practice certificate serials for %(prefix)s are used; ask the operator.")


class TransitionError(Exception):
    """A move that may not happen; ``message`` is for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class AlreadyHandled(TransitionError):
    """Someone else moved the application first."""


class NotAllowed(TransitionError):
    """This user may not make this move on this application."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple
    target: str
    role: str
    reason_required: bool = False


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("submit", _("Submit"), (State.DRAFT, State.RETURNED), State.SUBMITTED, Role.PHYSICIAN),
        Transition(
            "withdraw",
            _("Withdraw"),
            (State.DRAFT, State.SUBMITTED, State.RETURNED, State.INSTITUTION_APPROVED),
            State.WITHDRAWN,
            Role.PHYSICIAN,
        ),
        Transition(
            "institution_approve", _("Approve"), (State.SUBMITTED,), State.INSTITUTION_APPROVED, Role.INSTITUTION
        ),
        Transition("institution_return", _("Return"), (State.SUBMITTED,), State.RETURNED, Role.INSTITUTION, True),
        Transition(
            "authority_approve", _("Approve"), (State.INSTITUTION_APPROVED,), State.AUTHORITY_APPROVED, Role.AUTHORITY
        ),
        Transition(
            "authority_return", _("Return"), (State.INSTITUTION_APPROVED,), State.RETURNED, Role.AUTHORITY, True
        ),
        Transition("authority_refuse", _("Refuse"), (State.INSTITUTION_APPROVED,), State.REFUSED, Role.AUTHORITY, True),
    )
}

# The paper materials an authority checks before approving (SPEC section 5, seed Q7).
CHECKLIST = {
    "review_form": _("Review form, two copies"),
    "id_card": _("ID card, original and copy"),
    "photos": _("Three recent 2-inch photos on a white background"),
    "contract": _("Labour contract or proof of employment"),
    "institution_license": _("Copy of the institution's practice license"),
    "local": _("Other materials the local authority requires"),
}

# The grounds on which registration is refused (医师执业注册管理办法 art. 6 / Physicians Law art. 16).
REFUSAL_GROUNDS = {
    "no_capacity": _("Does not have full civil capacity"),
    "criminal": _("Less than two years since a criminal sentence was completed"),
    "revoked": _("Less than two years since a practice certificate was revoked"),
    "health": _("Health condition unfit for practice"),
    "assessment": _("Failed the assessment for re-registration"),
    "cheating": _("Organised cheating in the qualification examination"),
    "forged": _("Forged, altered or borrowed qualification"),
    "other": _("Other cases set by the National Health Commission"),
}


def may_act(user: User, application: Application, role: str) -> bool:
    """Whether ``user`` stands in ``role`` towards ``application``."""
    if user.role != role:
        return False
    if role == Role.PHYSICIAN:
        return application.physician_id == user.pk
    if role == Role.INSTITUTION:
        return user.institution_id is not None and application.institution_id == user.institution_id
    if role == Role.AUTHORITY:
        prefix = selectors.jurisdiction_prefix(user)
        return (
            prefix is not None
            and application.institution_id is not None
            and application.institution.region_id.startswith(prefix)
        )
    return False


def available_transitions(*, application: Application, user: User) -> list[Transition]:
    """The moves ``user`` may make now: what the buttons on a page offer."""
    return [t for t in TRANSITIONS.values() if application.state in t.sources and may_act(user, application, t.role)]


def next_value(key: str) -> int:
    """Advance the named counter and return its new value, atomically on every database."""
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, value) VALUES (%s, 1) "  # noqa: S608
            f"ON CONFLICT (key) DO UPDATE SET value = {table}.value + 1 RETURNING value",
            [key],
        )
        return cursor.fetchone()[0]


def application_number_issue(*, application: Application) -> str:
    """``2026-110105-000123``: year, the institution's region code, serial within both."""
    year = timezone.localdate().year
    region = application.institution.region_id
    return f"{year}-{region}-{next_value(f'app:{year}:{region}'):06d}"


def practice_certificate_code_issue(*, application: Application, authority) -> str:
    """``1 10 110105 000001``: level, category, the issuing authority's region, a serial per prefix.

    The serial comes from the atomic counter, so concurrent approvals never share
    a code; the counter row stays locked until the approving transaction ends.
    """
    prefix = codes.practice_code_prefix(
        level=application.level, category=application.category, region_code=authority.region_id
    )
    serial = next_value(f"cert:{prefix}")
    if serial > 999_999:
        raise ValidationError(MSG_SERIALS_EXHAUSTED % {"prefix": prefix})
    return f"{prefix}{serial:06d}"


@transaction.atomic
def _transition(
    *, application: Application, name: str, actor: User, ip: str | None = None, comment: str = "", **updates
) -> Application:
    transition = TRANSITIONS[name]
    if not may_act(actor, application, transition.role):
        raise NotAllowed(MSG_NOT_ALLOWED)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state not in transition.sources:
        raise AlreadyHandled(MSG_ALREADY_HANDLED % {"state": locked.get_state_display()})
    now = timezone.now()
    changed = Application.objects.filter(pk=locked.pk, state=locked.state).update(
        state=transition.target, version=F("version") + 1, updated_at=now, **updates
    )
    if changed != 1:  # SQLite has no row locks: the conditional UPDATE is the guard there.
        raise AlreadyHandled(MSG_ALREADY_HANDLED % {"state": transition.target})
    StatusChange.objects.create(
        application=locked,
        actor=actor,
        actor_role=actor.role,
        from_state=locked.state,
        to_state=transition.target,
        comment=comment,
        ip_address=ip or None,
    )
    application.refresh_from_db()
    notify_application_change(application=application, actor=actor, comment=comment)
    if settings.REVIEW_FORM_PRERENDER:
        from .tasks import prerender_after_commit

        prerender_after_commit(application.pk)
    return application


def _require(value: str, message) -> str:
    if not (value or "").strip():
        raise ValidationError({"comment": message})
    return value.strip()


# ---- The physician ---------------------------------------------------------


def application_check_rules(*, application: Application) -> None:
    """The rules every application must satisfy to be submitted (not only in forms)."""
    errors = {}
    if application.type != Application.Type.CANCEL:
        if application.institution_id is None:
            errors["institution"] = MSG_INSTITUTION_REQUIRED
        allowed = PracticeScope.objects.filter(category=application.category, is_active=True, name=application.scope)
        if not allowed.exists():
            errors["scope"] = MSG_SCOPE_NOT_ALLOWED % {
                "scope": application.scope,
                "category": application.get_category_display(),
            }
    errors.update(application_physician_rules(application=application))
    if errors:
        raise ValidationError(errors)


def application_check_window(*, application: Application) -> None:
    """First registrations are accepted only inside the region's registration windows (SPEC section 5)."""
    from .selectors import registration_window_status

    if application.type != Application.Type.FIRST or application.institution_id is None:
        return
    is_open, next_window = registration_window_status(institution=application.institution, on=timezone.localdate())
    if is_open:
        return
    if next_window is None:
        raise ValidationError(MSG_WINDOW_CLOSED_NO_NEXT, code="window_closed")
    raise ValidationError(MSG_WINDOW_CLOSED % {"date": next_window.starts_on.isoformat()}, code="window_closed")


def application_submit(*, application: Application, actor: User, ip: str | None = None) -> Application:
    application_check_rules(application=application)
    application_check_window(application=application)
    updates = {"submitted_at": timezone.now()}
    if not application.number:
        updates["number"] = application_number_issue(application=application)
    return _transition(application=application, name="submit", actor=actor, ip=ip, **updates)


def application_withdraw(*, application: Application, actor: User, ip: str | None = None) -> Application:
    return _transition(application=application, name="withdraw", actor=actor, ip=ip)


def open_application_for(physician: User) -> Application | None:
    return physician.applications.filter(state__in=OPEN_STATES).first()


def application_ensure_none_open(*, physician: User, excluding: Application | None = None) -> None:
    open_app = physician.applications.filter(state__in=OPEN_STATES)
    if excluding is not None:
        open_app = open_app.exclude(pk=excluding.pk)
    existing = open_app.first()
    if existing is not None:
        raise ValidationError(MSG_ONE_OPEN_APPLICATION % {"number": existing.number or existing.get_state_display()})


# ---- The physician: creating and editing applications -------------------------

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
MSG_TRAINING_PROOF_REQUIRED = _(
    "Upload the proof of six months of training with a passed assessment: the qualification was obtained "
    "more than two years ago, or practice was suspended for two years or more."
)
MSG_FILE_TYPE = _("Upload a PDF, JPEG or PNG file.")
MSG_FILE_TOO_BIG = _("The file is larger than %(mb)s MB.")
MSG_FILE_EMPTY = _("The file is empty.")
MSG_DOCUMENT_KIND = _("Choose what the document is.")
MSG_REQUIRED_TO_SUBMIT = _("Fill this in before submitting.")

AppType = Application.Type
EDITABLE_STATES = (State.DRAFT, State.RETURNED)
DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
# Magic bytes: what a file is, whatever its name or the browser says.
DOCUMENT_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
_REVIEW_FORM_FIELDS = ("institution", "education", "title", "teaching_title", "health_status")
# Practice suspended for two years or more is what brings a physician to re-register (two-year rule).
# Exactly the fields the physician fills in, per type; the rest comes from the qualification
# or the registration in force.
EDITABLE_FIELDS = {
    AppType.FIRST: (*_REVIEW_FORM_FIELDS, "scope"),
    AppType.CHANGE: (*_REVIEW_FORM_FIELDS, "scope"),
    AppType.MULTI_SITE: ("institution", "scope", "site_starts_on", "site_ends_on"),
    AppType.UPGRADE: _REVIEW_FORM_FIELDS,
    AppType.CANCEL: ("cancellation_reason",),
    AppType.REREGISTER: (*_REVIEW_FORM_FIELDS, "scope", "practice_suspended"),
}
WORK_HISTORY_TYPES = (AppType.FIRST, AppType.CHANGE, AppType.UPGRADE, AppType.REREGISTER)
NEEDS_REGISTRATION_IN_FORCE = (AppType.CHANGE, AppType.MULTI_SITE, AppType.UPGRADE, AppType.CANCEL)
# A draft may be saved half-filled; these must be there to submit.
REQUIRED_TO_SUBMIT = {
    AppType.FIRST: ("education", "health_status"),
    AppType.CHANGE: ("education", "health_status"),
    AppType.MULTI_SITE: ("site_starts_on",),
    AppType.UPGRADE: ("education", "health_status"),
    AppType.CANCEL: ("cancellation_reason",),
    AppType.REREGISTER: ("education", "health_status"),
}


def _registration_in_force(physician: User) -> Registration | None:
    return (
        Registration.objects.filter(physician=physician, state=Registration.State.ACTIVE)
        .select_related("institution")
        .order_by("-effective_on", "-pk")
        .first()
    )


@transaction.atomic
def application_create(*, physician: User, type: str, qualification) -> Application:
    """Start a draft: level, category, code and dates come from the matched qualification."""
    from qualifications.services import qualification_match

    if type not in AppType.values:
        raise ValidationError({"type": MSG_TYPE_UNKNOWN})
    matched = qualification_match(name=physician.real_name, id_number=physician.id_number)
    if qualification is None or not matched.filter(pk=qualification.pk).exists():
        raise ValidationError({"qualification": MSG_QUALIFICATION_NOT_MATCHED})
    User.objects.select_for_update().filter(pk=physician.pk).exists()  # two clicks on "create" make one draft
    application_ensure_none_open(physician=physician)
    in_force = _registration_in_force(physician)
    if type == AppType.FIRST and physician.registrations.exists():
        raise ValidationError({"type": MSG_FIRST_ALREADY_REGISTERED})
    if type in NEEDS_REGISTRATION_IN_FORCE and in_force is None:
        raise ValidationError({"type": MSG_REGISTRATION_IN_FORCE_REQUIRED})
    if type == AppType.REREGISTER and (
        in_force is not None or not physician.registrations.filter(state=Registration.State.CANCELLED).exists()
    ):
        raise ValidationError({"type": MSG_REREGISTER_NOT_CANCELLED})
    if type == AppType.UPGRADE and (in_force.level != Level.ASSISTANT or qualification.level != Level.PHYSICIAN):
        raise ValidationError({"qualification": MSG_UPGRADE_NEEDS_ASSISTANT})
    if type == AppType.CHANGE and qualification.level != in_force.level:
        raise ValidationError({"qualification": MSG_CHANGE_LEVEL})
    application = Application(
        type=type,
        physician=physician,
        qualification=qualification,
        registration=in_force if type in NEEDS_REGISTRATION_IN_FORCE else None,
        name=qualification.name,
        level=qualification.level,
        category=qualification.category,
        qualification_code=qualification.certificate_code,
    )
    for record in matched:
        if record.level == Level.ASSISTANT and record.category == qualification.category:
            application.assistant_qualified_on = record.obtained_on
    if qualification.level == Level.PHYSICIAN:
        application.physician_qualified_on = qualification.obtained_on
    else:
        application.assistant_qualified_on = qualification.obtained_on
    if in_force is not None and type in NEEDS_REGISTRATION_IN_FORCE:
        if type != AppType.MULTI_SITE:
            application.institution = in_force.institution
        if in_force.category == qualification.category:
            application.scope = in_force.scope
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


def _editable(application: Application, actor: User) -> Application:
    if not may_act(actor, application, Role.PHYSICIAN):
        raise NotAllowed(MSG_NOT_ALLOWED)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state not in EDITABLE_STATES:
        raise NotAllowed(MSG_NOT_EDITABLE)
    return locked


@transaction.atomic
def application_update(
    *, application: Application, actor: User, data: dict, work_periods: list[dict] | None = None
) -> Application:
    """Save what the physician typed, in draft or returned state only; fields of other types are ignored."""
    locked = _editable(application, actor)
    allowed = EDITABLE_FIELDS[locked.type]
    errors: dict = {}
    if locked.type == AppType.UPGRADE and data.get("scope") not in (None, "", locked.scope):
        errors["scope"] = MSG_SCOPE_LOCKED % {"scope": locked.scope}
    nullable = ("institution", "site_starts_on", "site_ends_on")
    for field in allowed:
        if field in data:
            value = data[field]
            setattr(locked, field, "" if value is None and field not in nullable else value)
    if "teaching_title" in allowed and locked.teaching_title:
        if locked.teaching_title in TEACHING_TITLE_MAP:
            locked.title = TEACHING_TITLE_MAP[locked.teaching_title]
        else:
            errors["teaching_title"] = MSG_TEACHING_TITLE
    if (
        "scope" in allowed
        and locked.scope
        and not PracticeScope.objects.filter(category=locked.category, is_active=True, name=locked.scope).exists()
    ):
        errors["scope"] = MSG_SCOPE_NOT_ALLOWED % {"scope": locked.scope, "category": locked.get_category_display()}
    if locked.institution is not None and not locked.institution.is_active:
        errors["institution"] = MSG_INSTITUTION_INACTIVE
    if locked.site_starts_on and locked.site_ends_on and locked.site_ends_on < locked.site_starts_on:
        errors["site_ends_on"] = MSG_SITE_DATES
    if work_periods is not None and locked.type in WORK_HISTORY_TYPES:
        try:
            work_periods = work_periods_clean(work_periods)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    locked.full_clean(exclude=["number", "physician", "qualification", "registration", "institution"])
    locked.save()
    if work_periods is not None and locked.type in WORK_HISTORY_TYPES:
        locked.work_periods.all().delete()
        WorkPeriod.objects.bulk_create(
            WorkPeriod(
                application=locked,
                starts_on=p["starts_on"],
                ends_on=p.get("ends_on"),
                employer=p["employer"][:100],
                position=p["position"][:50],
            )
            for p in work_periods
        )
    return locked


def _sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, extension in DOCUMENT_SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


@transaction.atomic
def document_add(*, application: Application, actor: User, kind: str, file) -> Document:
    """Attach an upload: PDF, JPEG or PNG by its content, at most ``DOCUMENT_MAX_BYTES``, stored under a new name."""
    locked = _editable(application, actor)
    if kind not in Document.Kind.values:
        raise ValidationError({"kind": MSG_DOCUMENT_KIND})
    if not file or not file.size:
        raise ValidationError({"file": MSG_FILE_EMPTY})
    if file.size > DOCUMENT_MAX_BYTES:
        raise ValidationError({"file": MSG_FILE_TOO_BIG % {"mb": DOCUMENT_MAX_BYTES // (1024 * 1024)}})
    file.seek(0)
    sniffed = _sniff(file.read(16))
    file.seek(0)
    if sniffed is None:
        raise ValidationError({"file": MSG_FILE_TYPE})
    content_type, extension = sniffed
    original_name = (file.name or "").replace("\\", "/").rsplit("/", 1)[-1][:200] or f"document.{extension}"
    document = Document(
        application=locked, kind=kind, original_name=original_name, content_type=content_type, size=file.size
    )
    document.file.save(f"{uuid.uuid4().hex}.{extension}", file, save=False)
    document.save()
    return document


@transaction.atomic
def document_delete(*, document: Document, actor: User) -> None:
    _editable(document.application, actor)
    document.file.delete(save=False)
    document.delete()


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def two_year_rule_applies(*, application: Application) -> bool:
    """Seed Q6: qualified more than two years before applying, or practice suspended two years or more."""
    if application.practice_suspended:
        return True
    if application.type not in (AppType.FIRST, AppType.UPGRADE):
        return False
    obtained = (
        application.physician_qualified_on
        if application.level == Level.PHYSICIAN
        else application.assistant_qualified_on
    )
    applied_on = timezone.localdate(application.submitted_at) if application.submitted_at else timezone.localdate()
    return obtained is not None and obtained < _years_before(applied_on, 2)


def application_physician_rules(*, application: Application) -> dict:
    """The physician-side rules checked at submit; returns field → message."""
    errors: dict = {
        field: MSG_REQUIRED_TO_SUBMIT
        for field in REQUIRED_TO_SUBMIT[application.type]
        if not getattr(application, field)
    }
    if application.type in NEEDS_REGISTRATION_IN_FORCE:
        registration = application.registration
        if registration is None or registration.state != Registration.State.ACTIVE:
            errors["registration"] = MSG_REGISTRATION_IN_FORCE_REQUIRED
        elif application.type == AppType.UPGRADE and application.scope != registration.scope:
            errors["scope"] = MSG_SCOPE_LOCKED % {"scope": registration.scope}
        elif application.type == AppType.MULTI_SITE and application.institution_id == registration.institution_id:
            errors["institution"] = MSG_SITE_SAME_INSTITUTION
    if (
        two_year_rule_applies(application=application)
        and not application.documents.filter(kind=Document.Kind.TRAINING_PROOF).exists()
    ):
        errors["documents"] = MSG_TRAINING_PROOF_REQUIRED
    return errors


# ---- The institution -------------------------------------------------------


def application_approve_by_institution(
    *, application: Application, actor: User, comment: str = "", ip: str | None = None
) -> Application:
    opinion = comment.strip() or "同意"
    return _transition(
        application=application,
        name="institution_approve",
        actor=actor,
        ip=ip,
        comment=comment,
        institution_opinion=opinion,
        institution_decided_at=timezone.now(),
    )


def application_return_by_institution(
    *, application: Application, actor: User, comment: str, ip: str | None = None
) -> Application:
    comment = _require(comment, MSG_REASON_REQUIRED)
    return _transition(application=application, name="institution_return", actor=actor, ip=ip, comment=comment)


# ---- The authority ---------------------------------------------------------


@transaction.atomic
def application_approve_by_authority(
    *, application: Application, actor: User, checklist: list[str], comment: str = "", ip: str | None = None
) -> Application:
    """Approve, issue the practice certificate code and make the registration effective."""
    if not may_act(actor, application, Role.AUTHORITY):
        raise NotAllowed(MSG_NOT_ALLOWED)
    checklist = [key for key in CHECKLIST if key in checklist]
    missing = [str(label) for key, label in CHECKLIST.items() if key not in checklist]
    if missing:
        raise ValidationError({"checklist": MSG_CHECKLIST_INCOMPLETE % {"missing": "、".join(missing)}})
    needs_registration = (Application.Type.MULTI_SITE, Application.Type.CHANGE, Application.Type.CANCEL)
    if application.type in needs_registration and application.registration_id is None:
        raise ValidationError(MSG_REGISTRATION_REQUIRED)
    code = application.registration.certificate_code if application.registration_id else ""
    if application.type in (Application.Type.FIRST, Application.Type.UPGRADE, Application.Type.REREGISTER):
        code = practice_certificate_code_issue(application=application, authority=actor.authority)
    application = _transition(
        application=application,
        name="authority_approve",
        actor=actor,
        ip=ip,
        comment=comment,
        checklist=checklist,
        authority_opinion=comment.strip() or "同意注册",
        practice_certificate_code=code,
        decided_at=timezone.now(),
    )
    registration_apply(application=application, authority=actor.authority)
    return application


def application_return_by_authority(
    *, application: Application, actor: User, comment: str, ip: str | None = None
) -> Application:
    comment = _require(comment, MSG_REASON_REQUIRED)
    return _transition(application=application, name="authority_return", actor=actor, ip=ip, comment=comment)


def application_refuse(
    *, application: Application, actor: User, ground: str, comment: str = "", ip: str | None = None
) -> Application:
    if ground not in REFUSAL_GROUNDS:
        raise ValidationError({"ground": MSG_GROUND_REQUIRED})
    with translation.override("zh-hans"):  # the opinion is printed on the Chinese review form
        text = str(REFUSAL_GROUNDS[ground]) + (f"：{comment.strip()}" if comment.strip() else "")
    return _transition(
        application=application,
        name="authority_refuse",
        actor=actor,
        ip=ip,
        comment=text,
        refusal_ground=ground,
        authority_opinion=text,
        decided_at=timezone.now(),
    )


def registration_apply(*, application: Application, authority) -> Registration | None:
    """Make an approved application effective on the physician's registrations."""
    today = timezone.localdate()
    kind = application.type
    current = application.registration
    if kind == Application.Type.MULTI_SITE:
        PracticeSite.objects.create(
            registration=current,
            institution=application.institution,
            scope=application.scope,
            starts_on=application.site_starts_on or today,
            ends_on=application.site_ends_on,
        )
        return current
    if kind == Application.Type.CHANGE:
        current.institution = application.institution
        current.scope = application.scope
        current.category = application.category
        current.save(update_fields=["institution", "scope", "category"])
        return current
    if kind == Application.Type.CANCEL:
        current.state = Registration.State.CANCELLED
        current.ended_on = today
        current.save(update_fields=["state", "ended_on"])
        return current
    if current is not None:  # upgrade and re-registration replace the registration they name
        current.state = Registration.State.SUPERSEDED
        current.ended_on = today
        current.save(update_fields=["state", "ended_on"])
    return Registration.objects.create(
        physician=application.physician,
        certificate_code=application.practice_certificate_code,
        institution=application.institution,
        authority=authority,
        level=application.level,
        category=application.category,
        scope=application.scope,
        effective_on=today,
    )


# ---- Registration windows ----------------------------------------------------

MSG_WINDOW_ORDER = _("A registration window must close on or after the day it opens.")
MSG_WINDOW_OVERLAP = _("This period overlaps another registration window of your authority.")


@transaction.atomic
def registration_window_create(*, actor: User, starts_on, ends_on) -> RegistrationWindow:
    """A period in which the clerk's authority accepts first registrations."""
    if actor.role != Role.AUTHORITY or actor.authority_id is None:
        raise NotAllowed(MSG_NOT_ALLOWED)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": MSG_WINDOW_ORDER})
    overlapping = RegistrationWindow.objects.select_for_update().filter(
        authority_id=actor.authority_id, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if overlapping.exists():
        raise ValidationError({"starts_on": MSG_WINDOW_OVERLAP})
    window = RegistrationWindow(authority_id=actor.authority_id, starts_on=starts_on, ends_on=ends_on)
    window.full_clean()
    window.save()
    return window


@transaction.atomic
def registration_window_delete(*, actor: User, window: RegistrationWindow) -> None:
    if actor.role != Role.AUTHORITY or window.authority_id != actor.authority_id:
        raise NotAllowed(MSG_NOT_ALLOWED)
    window.delete()


# ---- Institutions ----------------------------------------------------------


def institution_create(**fields) -> Institution:
    institution = Institution(**fields)
    institution.full_clean()
    institution.save()
    return institution
