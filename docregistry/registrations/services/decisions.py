"""The institution's and the authority's decisions, and what an approval does to the register."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from .. import codes
from ..models import Application, Authority, PracticeSite, Registration
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
    registration_apply(application=application, authority=actor.authority)
    return application


def application_return_by_authority(
    *, application: Application, actor: User, comment: str, ip: str | None = None
) -> Application:
    return application_transition(application=application, name="authority_return", actor=actor, ip=ip, comment=comment)


def application_refuse(
    *, application: Application, actor: User, ground: str, comment: str = "", ip: str | None = None
) -> Application:
    if ground not in REFUSAL_GROUNDS:
        raise ValidationError({"ground": MSG_GROUND_REQUIRED})
    with translation.override("zh-hans"):  # the opinion is printed on the Chinese review form
        text = str(REFUSAL_GROUNDS[ground]) + (f"：{comment.strip()}" if comment.strip() else "")
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


def _site_add(*, application: Application, authority: Authority) -> Registration:
    current = application.registration
    PracticeSite.objects.create(
        registration=current,
        institution=application.institution,
        scope=application.scope,
        starts_on=application.site_starts_on or timezone.localdate(),
        ends_on=application.site_ends_on,
    )
    return current


def _registration_change(*, application: Application, authority: Authority) -> Registration:
    current = application.registration
    current.institution = application.institution
    current.scope = application.scope
    current.category = application.category
    current.save(update_fields=["institution", "scope", "category"])
    return current


def _registration_cancel(*, application: Application, authority: Authority) -> Registration:
    current = application.registration
    current.state = Registration.State.CANCELLED
    current.ended_on = timezone.localdate()
    current.save(update_fields=["state", "ended_on"])
    return current


def _registration_new(*, application: Application, authority: Authority) -> Registration:
    """A new registration with the newly issued code; an upgrade's replaces the one it names."""
    today = timezone.localdate()
    current = application.registration
    if current is not None:
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


# One entry per type of ``types.APPLICATION_TYPES``.
REGISTER_EFFECTS: dict[str, Callable[..., Registration]] = {
    AppType.FIRST: _registration_new,
    AppType.CHANGE: _registration_change,
    AppType.MULTI_SITE: _site_add,
    AppType.UPGRADE: _registration_new,
    AppType.CANCEL: _registration_cancel,
    AppType.REREGISTER: _registration_new,
}


def registration_apply(*, application: Application, authority: Authority) -> Registration:
    """Make an approved application effective on the physician's registrations."""
    return REGISTER_EFFECTS[application.type](application=application, authority=authority)
