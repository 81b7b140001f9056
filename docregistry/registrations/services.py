"""Every write to the shared domain, and every move of an application.

What may happen to an application is declared once, in ``TRANSITIONS``. Each
transition is guarded (who, from which states), atomic, serialised against a
concurrent move of the same application, and writes a ``StatusChange`` row.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from . import codes
from .models import (
    OPEN_STATES,
    Application,
    Counter,
    Institution,
    PracticeScope,
    PracticeSite,
    Registration,
    RegistrationWindow,
    StatusChange,
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
        Transition("institution_approve", _("Approve"), (State.SUBMITTED,), State.INSTITUTION_APPROVED, Role.INSTITUTION),
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
        return (
            user.authority_id is not None
            and application.institution_id is not None
            and application.institution.region_id.startswith(user.authority.region.prefix)
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
    prefix = codes.practice_code_prefix(
        level=application.level, category=application.category, region_code=authority.region_id
    )
    return f"{prefix}{next_value(f'cert:{prefix}'):06d}"


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
