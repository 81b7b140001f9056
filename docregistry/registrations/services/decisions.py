"""The institution's and the authority's decisions, and what an approval does to the register."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from .. import codes, register
from ..grounds import ground_get
from ..models import Application, Authority, PracticeSite, Registration
from ..register_models import Ground
from ..workflow import may_act
from .transitions import MSG_NOT_ALLOWED, NotAllowed, application_transition, next_value

AppType = Application.Type

MSG_GROUND_REQUIRED = _("Please choose the legal ground for the refusal.")
MSG_CHECKLIST_INCOMPLETE = _("Tick every paper material as received before approving: %(missing)s.")
MSG_REGISTRATION_REQUIRED = _("This application does not name the registration it concerns.")
MSG_SERIALS_EXHAUSTED = _("All practice certificate serials for %(prefix)s are used; ask the operator.")

# The paper materials an authority checks before approving (SPEC section 5, seed Q7).
CHECKLIST = {
    "review_form": _("Review form, two copies"),
    "id_card": _("ID card, original and copy"),
    "photos": _("Three recent 2-inch photos on a white background"),
    "contract": _("Labour contract or proof of employment"),
    "institution_license": _("Copy of the institution's practice license"),
    "local": _("Other materials the local authority requires"),
}

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
    return application_transition(
        application=application, name="institution_return", actor=actor, ip=ip, comment=comment
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
        authority_opinion=comment.strip() or "同意注册",
        practice_certificate_code=code,
        decided_at=timezone.now(),
    )
    registration_apply(application=application, authority=actor.authority, actor=actor)
    return application


def application_return_by_authority(
    *, application: Application, actor: User, comment: str, ip: str | None = None
) -> Application:
    return application_transition(application=application, name="authority_return", actor=actor, ip=ip, comment=comment)


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
    registration = Registration.objects.create(
        physician=application.physician,
        certificate_code=application.practice_certificate_code,
        institution=application.institution,
        authority=authority,
        level=application.level,
        category=application.category,
        scope=application.scope,
        extra_scopes=extra,
        practice_area_id=register.practice_area_code(
            level=application.level, region_code=application.institution.region_id
        ),
        effective_on=timezone.localdate(),
    )
    register.registration_created(registration=registration, actor=actor, application=application)
    return registration


def _registration_additional(*, application: Application, authority: Authority, actor: User) -> Registration:
    """增加注册: a further registration in another practice area, with its own code; the one in force stays."""
    errors = register.additional_errors(application=application)
    if errors:  # checked at submit; the register may have changed since (another additional registration)
        raise ValidationError(errors)
    registration = Registration.objects.create(
        physician=application.physician,
        certificate_code=application.practice_certificate_code,
        institution=application.institution,
        authority=authority,
        level=application.level,
        category=application.category,
        scope=application.scope,
        practice_area_id=register.practice_area_code(
            level=application.level, region_code=application.institution.region_id
        ),
        additional_to=application.registration,
        effective_on=timezone.localdate(),
    )
    register.registration_created(registration=registration, actor=actor, application=application)
    return registration


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
