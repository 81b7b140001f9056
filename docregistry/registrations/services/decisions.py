"""The institution's and the authority's decisions, and what an approval does to the register."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from .. import calendar, codes, register
from ..checklists import checklist_missing
from ..grounds import ground_get
from ..models import Application, Authority, Notification, PracticeSite, Registration, StatusChange
from ..notifications import notification_queue
from ..register_models import Ground
from ..workflow import may_act
from .transitions import (
    MSG_ALREADY_HANDLED,
    MSG_NOT_ALLOWED,
    AlreadyHandled,
    NotAllowed,
    application_transition,
    next_value,
)

AppType = Application.Type

MSG_GROUND_REQUIRED = _("Please choose the legal ground for the refusal.")
MSG_CHECKLIST_INCOMPLETE = _("Tick every paper material as received before approving: %(missing)s.")
MSG_REGISTRATION_REQUIRED = _("This application does not name the registration it concerns.")
MSG_SERIALS_EXHAUSTED = _("All practice certificate serials for %(prefix)s are used; ask the operator.")

MSG_ALREADY_ACCEPTED = _("The paper materials of this application were already accepted on %(date)s.")
MSG_ACCEPTED_TEXT = _(
    "The health authority accepted the paper materials of your application %(number)s on %(date)s; "
    "it decides by %(deadline)s (20 working days, Physicians Law art. 13)."
)

# The paper materials an authority checks before approving are data per type: ``checklists.checklist_for``.
# The grounds on which registration is refused are data: ``Ground`` rows of kind "refusal" (``grounds.py``).


# ---- The institution ---------------------------------------------------------


def application_approve_by_institution(
    *, application: Application, actor: User, comment: str = "", ip: str | None = None
) -> Application:
    return application_transition(
        application=application,
        name="institution_approve",
        actor=actor,
        ip=ip,
        comment=comment,
        institution_opinion=comment.strip() or "同意",
        institution_decided_at=timezone.now(),
    )


def application_return_by_institution(
    *, application: Application, actor: User, comment: str, ip: str | None = None
) -> Application:
    """Back to the physician; after 受理 (a resubmission after 补正) the clock pauses again."""
    return application_transition(
        application=application,
        name="institution_return",
        actor=actor,
        ip=ip,
        comment=comment,
        **calendar.clock_pause_updates(application),
    )


# ---- The authority -------------------------------------------------------------


def practice_certificate_code_issue(*, application: Application, authority: Authority) -> str:
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
def application_accept_by_authority(*, application: Application, actor: User, ip: str | None = None) -> Application:
    """受理: the clerk has the paper materials; the 20-working-day clock starts (SPEC section 10).

    The state stays "waiting for the authority"; the move is audited as a status change
    with the same state on both sides, and the physician is told the deadline.
    """
    if not may_act(actor, application, Role.AUTHORITY):
        raise NotAllowed(MSG_NOT_ALLOWED)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state != Application.State.INSTITUTION_APPROVED:
        raise AlreadyHandled(MSG_ALREADY_HANDLED % {"state": locked.get_state_display()})
    if locked.accepted_at is not None:
        raise AlreadyHandled(MSG_ALREADY_ACCEPTED % {"date": timezone.localdate(locked.accepted_at).isoformat()})
    updates = calendar.clock_start_updates(actor=actor)
    changed = Application.objects.filter(pk=locked.pk, accepted_at__isnull=True, state=locked.state).update(
        **updates, updated_at=timezone.now()
    )
    if changed != 1:  # SQLite has no row locks: the conditional UPDATE is the guard there.
        raise AlreadyHandled(MSG_ALREADY_ACCEPTED % {"date": timezone.localdate().isoformat()})
    application.refresh_from_db()
    text = MSG_ACCEPTED_TEXT % {
        "number": application.number,
        "date": timezone.localdate(application.accepted_at).isoformat(),
        "deadline": application.decision_due_on.isoformat(),
    }
    StatusChange.objects.create(
        application=application,
        actor=actor,
        actor_role=actor.role,
        from_state=locked.state,
        to_state=locked.state,
        comment=text,
        ip_address=ip or None,
    )
    notification_queue(
        channel=Notification.Channel.SMS, recipient=application.physician.mobile, body=text, application=application
    )
    return application


@transaction.atomic
def application_approve_by_authority(
    *, application: Application, actor: User, checklist: list[str], comment: str = "", ip: str | None = None
) -> Application:
    """Approve, issue the practice certificate code and make the registration effective.

    Every active item of the type's paper checklist must be ticked. Approving what was not
    yet accepted accepts it at the same moment (the clerk has the paper materials in hand).
    """
    if not may_act(actor, application, Role.AUTHORITY):
        raise NotAllowed(MSG_NOT_ALLOWED)
    checklist, missing = checklist_missing(application, checklist)
    if missing:
        labels = "、".join(item.label for item in missing)
        raise ValidationError({"checklist": MSG_CHECKLIST_INCOMPLETE % {"missing": labels}})
    accepted = {} if application.accepted_at else {"accepted_at": timezone.now(), "accepted_by": actor}
    kind = application.kind
    if kind.needs_registration and application.registration_id is None:
        raise ValidationError(MSG_REGISTRATION_REQUIRED)
    if kind.issues_code:
        code = practice_certificate_code_issue(application=application, authority=actor.authority)
    else:
        code = application.registration.certificate_code if application.registration_id else ""
    application = application_transition(
        application=application,
        name="authority_approve",
        actor=actor,
        ip=ip,
        comment=comment,
        checklist=checklist,
        authority_opinion=comment.strip() or kind.opinion_zh,
        practice_certificate_code=code,
        decided_at=timezone.now(),
        **accepted,
    )
    registration_apply(application=application, authority=actor.authority, actor=actor)
    return application


def application_return_by_authority(
    *, application: Application, actor: User, comment: str, ip: str | None = None
) -> Application:
    """Back to the physician (补正): after 受理 the clock pauses until they submit again."""
    return application_transition(
        application=application,
        name="authority_return",
        actor=actor,
        ip=ip,
        comment=comment,
        **calendar.clock_pause_updates(application),
    )


def application_refuse(
    *, application: Application, actor: User, ground: str, comment: str = "", ip: str | None = None
) -> Application:
    try:
        chosen = ground_get(kind=Ground.Kind.REFUSAL, code=ground)
    except ValidationError:
        raise ValidationError({"ground": MSG_GROUND_REQUIRED}) from None
    text = str(chosen) + (f"：{comment.strip()}" if comment.strip() else "")  # printed on the review form
    return application_transition(
        application=application,
        name="authority_refuse",
        actor=actor,
        ip=ip,
        comment=text,
        refusal_ground=ground,
        authority_opinion=text,
        decided_at=timezone.now(),
    )


# ---- What an approval does to the register ------------------------------------------


def _site_add(*, application: Application, authority: Authority, actor: User) -> Registration:
    current = application.registration
    errors = register.filing_errors(application=application)
    if errors:  # checked at submit; the register may have changed since (another filing, a scope removed)
        raise ValidationError(errors)
    PracticeSite.objects.create(
        registration=current,
        institution=application.institution,
        scope=application.scope,
        starts_on=application.site_starts_on or timezone.localdate(),
        ends_on=application.site_ends_on,
    )
    return current


def _registration_change(*, application: Application, authority: Authority, actor: User) -> Registration:
    """变更注册. A new main institution is registration with its authority, which becomes the issuing one."""
    current = application.registration
    old_institution, old_authority = current.institution, current.authority
    moved = application.institution_id != current.institution_id
    if moved:
        current.authority = authority
    current.institution = application.institution
    current.scope = application.scope
    current.extra_scopes = [s for s in application.extra_scopes if s != application.scope]
    current.category = application.category
    current.practice_area_id = register.practice_area_code(
        level=current.level, region_code=application.institution.region_id
    )
    current.save(update_fields=["institution", "authority", "scope", "extra_scopes", "category", "practice_area"])
    if moved:
        register.main_institution_moved(
            registration=current,
            actor=actor,
            application=application,
            old_institution=old_institution,
            old_authority=old_authority,
        )
    return current


def _registration_cancel(*, application: Application, authority: Authority, actor: User) -> Registration:
    current = application.registration
    register.registration_move(
        registration=current,
        to_state=Registration.State.CANCELLED,
        actor=actor,
        ground=Ground.objects.filter(kind=Ground.Kind.CANCELLATION, code="own_request").first(),
        comment=application.cancellation_reason,
        application=application,
    )
    return current


def _registration_new(*, application: Application, authority: Authority, actor: User) -> Registration:
    """A new registration with the newly issued code; an upgrade's replaces the one it names.

    A cancelled registration named by a re-registration stays cancelled, with its ground.
    """
    current = application.registration
    if current is not None and current.state == Registration.State.ACTIVE:
        register.registration_move(
            registration=current,
            to_state=Registration.State.SUPERSEDED,
            actor=actor,
            application=application,
            notify=False,
        )
    # An upgrade keeps the assistant's scopes (the first one is locked; the further ones come along).
    extra = list(current.extra_scopes) if current is not None and application.kind.scope_locked else []
    return _registration_made(application=application, authority=authority, actor=actor, extra_scopes=extra)


def _registration_made(*, application: Application, authority: Authority, actor: User, **fields) -> Registration:
    """A registration in force from this application, in its institution's practice area, from today."""
    registration = Registration.objects.create(
        physician=application.physician,
        name=application.physician.real_name,
        certificate_code=application.practice_certificate_code,
        institution=application.institution,
        authority=authority,
        level=application.level,
        category=application.category,
        scope=application.scope,
        practice_area_id=register.practice_area_code(
            level=application.level, region_code=application.institution.region_id
        ),
        effective_on=timezone.localdate(),
        **fields,
    )
    register.registration_created(registration=registration, actor=actor, application=application)
    return registration


def _registration_additional(*, application: Application, authority: Authority, actor: User) -> Registration:
    """增加注册: a further registration in another practice area, with its own code; the one in force stays."""
    errors = register.additional_errors(application=application)
    if errors:  # checked at submit; the register may have changed since (another additional registration)
        raise ValidationError(errors)
    return _registration_made(
        application=application, authority=authority, actor=actor, additional_to=application.registration
    )


# One entry per type of ``types.APPLICATION_TYPES``.
REGISTER_EFFECTS: dict[str, Callable[..., Registration]] = {
    AppType.FIRST: _registration_new,
    AppType.CHANGE: _registration_change,
    AppType.MULTI_SITE: _site_add,
    AppType.UPGRADE: _registration_new,
    AppType.CANCEL: _registration_cancel,
    AppType.REREGISTER: _registration_new,
    AppType.ADDITIONAL: _registration_additional,
}


def registration_apply(*, application: Application, authority: Authority, actor: User) -> Registration:
    """Make an approved application effective on the physician's registrations; ``register`` audits each move."""
    return REGISTER_EFFECTS[application.type](application=application, authority=authority, actor=actor)
