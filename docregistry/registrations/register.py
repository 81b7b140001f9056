"""The register (SPEC section 9): every change of a registration's state, and who may make it.

A registration is in force, suspended until a date, cancelled (with its ground) or
revoked; upgrades and re-registrations supersede it. Every change goes through
``registration_move``: the row is locked, the move is checked against ``MOVES``, a
``RegistrationChange`` audit row is written, and the physician and every institution
where they practise are told once the transaction commits.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from . import grounds
from .errors import AlreadyHandled, NotAllowed
from .models import Application, Registration
from .notifications import notify_register_change
from .register_models import Ground, RegistrationChange
from .workflow import in_jurisdiction

RegState = Registration.State
SYSTEM = "system"

MSG_REGISTRATION_MOVED = _("This registration is now “%(state)s”; nothing was changed.")
MSG_SUSPEND_UNTIL = _("A suspension ends on a day after today.")
MSG_NOT_YOURS = _("This registration is outside your jurisdiction.")

# From which states each target may be reached.
MOVES = {
    RegState.ACTIVE: ("", RegState.SUSPENDED),
    RegState.SUSPENDED: (RegState.ACTIVE, RegState.SUSPENDED),
    RegState.CANCELLED: (RegState.ACTIVE, RegState.SUSPENDED),
    RegState.REVOKED: (RegState.ACTIVE, RegState.SUSPENDED),
    RegState.SUPERSEDED: (RegState.ACTIVE,),
}
# The state that ends a registration, so its filed sites end with it.
ENDING = (RegState.CANCELLED, RegState.REVOKED, RegState.SUPERSEDED)
# Which ground table each decision draws on.
GROUND_KIND = {
    RegState.SUSPENDED: Ground.Kind.SUSPENSION,
    RegState.CANCELLED: Ground.Kind.CANCELLATION,
    RegState.REVOKED: Ground.Kind.REVOCATION,
}


def may_act_on_registration(user: User, registration: Registration) -> bool:
    """A clerk acts on a registration whose main institution or issuing authority lies in the jurisdiction."""
    return in_jurisdiction(user, registration.institution.region_id) or in_jurisdiction(
        user, registration.authority.region_id
    )


@transaction.atomic
def registration_move(
    *,
    registration: Registration,
    to_state: str,
    actor: User | None,
    ground: Ground | None = None,
    comment: str = "",
    suspended_until: datetime.date | None = None,
    application: Application | None = None,
    notify: bool = True,
    today: datetime.date | None = None,
) -> RegistrationChange:
    """Move ``registration`` to ``to_state``, write the audit row and queue the notifications."""
    today = today or timezone.localdate()
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    if locked.state not in MOVES[to_state]:
        raise AlreadyHandled(MSG_REGISTRATION_MOVED % {"state": locked.get_state_display()})
    updates = {"state": to_state, "ground": ground, "suspended_until": suspended_until}
    if to_state in ENDING:
        updates["ended_on"] = today
    changed = Registration.objects.filter(pk=locked.pk, state=locked.state).update(**updates)
    if changed != 1:  # SQLite has no row locks: the conditional UPDATE is the guard there.
        raise AlreadyHandled(MSG_REGISTRATION_MOVED % {"state": to_state})
    if to_state in ENDING:
        locked.sites.filter(ended_on__isnull=True).update(ended_on=today)
    change = RegistrationChange.objects.create(
        registration=locked,
        actor=actor,
        actor_role=actor.role if actor is not None else SYSTEM,
        from_state=locked.state,
        to_state=to_state,
        ground=ground,
        comment=comment,
        suspended_until=suspended_until,
        application=application,
    )
    registration.refresh_from_db()
    if notify:
        notify_register_change(registration=registration, change=change)
    return change


def registration_created(*, registration: Registration, actor: User, application: Application) -> RegistrationChange:
    """The audit row of a registration entering the register (approval of a registration application)."""
    return RegistrationChange.objects.create(
        registration=registration,
        actor=actor,
        actor_role=actor.role,
        from_state="",
        to_state=registration.state,
        application=application,
    )


def _authority_decision(*, registration: Registration, actor: User, to_state: str, ground: str, comment: str, **kw):
    if actor.role != Role.AUTHORITY or not may_act_on_registration(actor, registration):
        raise NotAllowed(MSG_NOT_YOURS)
    chosen = grounds.ground_get(kind=GROUND_KIND[to_state], code=ground)
    return registration_move(
        registration=registration, to_state=to_state, actor=actor, ground=chosen, comment=comment.strip(), **kw
    )


def registration_suspend(
    *, registration: Registration, actor: User, ground: str, until: datetime.date | None, comment: str = ""
) -> RegistrationChange:
    """暂停执业活动 by the authority, up to and including ``until``; lifted by beat the day after."""
    if until is None or until <= timezone.localdate():
        raise ValidationError({"until": MSG_SUSPEND_UNTIL})
    return _authority_decision(
        registration=registration,
        actor=actor,
        to_state=RegState.SUSPENDED,
        ground=ground,
        comment=comment,
        suspended_until=until,
    )


def registration_cancel(
    *, registration: Registration, actor: User, ground: str, comment: str = "", application: Application | None = None
) -> RegistrationChange:
    """注销 by the authority of its own motion (or on an institution's report)."""
    return _authority_decision(
        registration=registration,
        actor=actor,
        to_state=RegState.CANCELLED,
        ground=ground,
        comment=comment,
        application=application,
    )


def registration_revoke(
    *, registration: Registration, actor: User, ground: str, comment: str = ""
) -> RegistrationChange:
    """吊销 / 撤销 the practice certificate."""
    return _authority_decision(
        registration=registration, actor=actor, to_state=RegState.REVOKED, ground=ground, comment=comment
    )


def registration_reinstate(*, registration: Registration, actor: User, comment: str = "") -> RegistrationChange:
    """End a suspension before its last day."""
    if actor.role != Role.AUTHORITY or not may_act_on_registration(actor, registration):
        raise NotAllowed(MSG_NOT_YOURS)
    if registration.state != RegState.SUSPENDED:
        raise AlreadyHandled(MSG_REGISTRATION_MOVED % {"state": registration.get_state_display()})
    return registration_move(registration=registration, to_state=RegState.ACTIVE, actor=actor, comment=comment)


def suspensions_lift_expired(*, today: datetime.date | None = None) -> int:
    """Beat: a suspension whose last day has passed ends; the registration is in force again."""
    today = today or timezone.localdate()
    lifted = 0
    for registration in Registration.objects.filter(state=RegState.SUSPENDED, suspended_until__lt=today):
        try:
            registration_move(registration=registration, to_state=RegState.ACTIVE, actor=None, today=today)
        except AlreadyHandled:
            continue
        lifted += 1
    return lifted


# ---- Practice area, scopes and filed sites (办法 art. 8, 12; 医师法 art. 14) ---------------------

MSG_SITE_OUTSIDE_AREA = _(
    "%(institution)s lies outside your practice area (%(area)s). A filing is possible only inside it; "
    "to practise in another area, apply for an additional registration there."
)
MSG_SITE_OUTSIDE_AREA_ASSISTANT = _(
    "%(institution)s lies outside your practice area (%(area)s). An assistant physician practises in one county only."
)
MSG_SITE_SCOPE = _("“%(scope)s” is not among the practice scopes of your registration (%(scopes)s).")
MSG_SITE_DUPLICATE = _("You already have a filing in force at %(institution)s.")
MSG_SITE_ENDS_PAST = _("The end date has passed; choose a day from today on.")
MSG_SCOPES_UNKNOWN = _("“%(scope)s” is not a practice scope of the category %(category)s.")
MSG_SITE_ENDED = _("This filing has already ended.")


def practice_area_code(*, level: str, region_code: str) -> str:
    """The province of ``region_code`` for a 执业医师, the county itself for a 执业助理医师."""
    from .choices import Level

    return region_code[:2] + "0000" if level == Level.PHYSICIAN else region_code


def area_contains(area_code: str, region_code: str) -> bool:
    from .models import Region

    return region_code.startswith(Region(code=area_code).prefix)


def area_of(registration: Registration) -> str:
    return registration.practice_area_id or practice_area_code(
        level=registration.level, region_code=registration.institution.region_id
    )


def registration_for_site(*, registration: Registration, institution) -> Registration:
    """The physician's registration in force whose practice area holds ``institution``; else ``registration``.

    After an additional registration (增加注册) a physician has one registration per area, and a filing
    belongs to the one of its area.
    """
    if area_contains(area_of(registration), institution.region_id):
        return registration
    others = Registration.objects.filter(physician_id=registration.physician_id, state=RegState.ACTIVE)
    for other in others.exclude(pk=registration.pk).select_related("institution").order_by("pk"):
        if area_contains(area_of(other), institution.region_id):
            return other
    return registration


def filing_errors(*, application: Application, today: datetime.date | None = None) -> dict:
    """What a filing (多机构备案) must satisfy against the registration it names: field → message."""
    from .choices import Level
    from .models import Region

    registration = application.registration
    institution = application.institution
    errors: dict = {}
    if registration is None or institution is None:
        return errors
    area = area_of(registration)
    if not area_contains(area, institution.region_id):
        region = Region.objects.filter(code=area).first()
        message = MSG_SITE_OUTSIDE_AREA_ASSISTANT if registration.level == Level.ASSISTANT else MSG_SITE_OUTSIDE_AREA
        errors["institution"] = message % {"institution": institution.name, "area": region.name if region else area}
    elif registration.sites.filter(institution=institution, ended_on__isnull=True).exists():
        errors["institution"] = MSG_SITE_DUPLICATE % {"institution": institution.name}
    if application.scope and application.scope not in registration.scopes:
        errors["scope"] = MSG_SITE_SCOPE % {"scope": application.scope, "scopes": "、".join(registration.scopes)}
    if application.site_ends_on and application.site_ends_on < (today or timezone.localdate()):
        errors["site_ends_on"] = MSG_SITE_ENDS_PAST
    return errors


MSG_ADDITIONAL_NEEDS_PHYSICIAN = _(
    "An additional registration in another practice area is for a licensed physician (执业医师) with a "
    "registration in force; an assistant physician registers in one county only."
)
MSG_ADDITIONAL_INSIDE_AREA = _(
    "%(institution)s lies inside your practice area (%(area)s): an additional registration is for another area. "
    "To practise there, file it (multi-site practice) or change your main institution."
)
MSG_ADDITIONAL_AREA_TAKEN = _(
    "You already have a registration in force in %(area)s (%(code)s); file further institutions there instead."
)


def additional_errors(*, application: Application) -> dict:
    """增加注册: the institution lies outside the practice area of every registration in force: field → message."""
    from .choices import Level
    from .models import Region

    registration = application.registration
    institution = application.institution
    if registration is None or institution is None:
        return {}
    if registration.level != Level.PHYSICIAN or application.level != Level.PHYSICIAN:
        return {"institution": MSG_ADDITIONAL_NEEDS_PHYSICIAN}
    in_force = Registration.objects.filter(physician_id=registration.physician_id, state=RegState.ACTIVE)
    for other in in_force.select_related("institution").order_by("pk"):
        area = area_of(other)
        if area_contains(area, institution.region_id):
            region = Region.objects.filter(code=area).first()
            values = {"institution": institution.name, "area": region.name if region else area}
            if other.pk == registration.pk:
                return {"institution": MSG_ADDITIONAL_INSIDE_AREA % values}
            return {"institution": MSG_ADDITIONAL_AREA_TAKEN % {**values, "code": other.certificate_code}}
    return {}


def scope_list_errors(*, application: Application) -> dict:
    """Further scopes of a change application: each an active scope of the category."""
    from .models import PracticeScope

    allowed = set(
        PracticeScope.objects.filter(category=application.category, is_active=True).values_list("name", flat=True)
    )
    for scope in application.extra_scopes or []:
        if scope not in allowed:
            return {
                "extra_scopes": MSG_SCOPES_UNKNOWN % {"scope": scope, "category": application.get_category_display()}
            }
    return {}


def site_end(*, site, actor: User, today: datetime.date | None = None):
    """End a filing before its end date: the physician, or the site's institution."""
    from .models import PracticeSite

    allowed = (actor.role == Role.PHYSICIAN and site.registration.physician_id == actor.pk) or (
        actor.role == Role.INSTITUTION and actor.institution_id == site.institution_id
    )
    if not allowed:
        raise NotAllowed(MSG_NOT_YOURS)
    today = today or timezone.localdate()
    with transaction.atomic():
        if PracticeSite.objects.filter(pk=site.pk, ended_on__isnull=True).update(ended_on=today) != 1:
            raise AlreadyHandled(MSG_SITE_ENDED)
        site.refresh_from_db()
        from .notifications import notify_site_ended

        notify_site_ended(site=site, early=True)
    return site


def sites_end_expired(*, today: datetime.date | None = None) -> int:
    """Beat: a filing whose end date has passed ends; the physician and both institutions are told."""
    from .models import PracticeSite
    from .notifications import notify_site_ended

    today = today or timezone.localdate()
    ended = 0
    for site in PracticeSite.objects.filter(ended_on__isnull=True, ends_on__lt=today).select_related(
        "registration__physician", "registration__institution", "institution"
    ):
        with transaction.atomic():
            if PracticeSite.objects.filter(pk=site.pk, ended_on__isnull=True).update(ended_on=site.ends_on) != 1:
                continue
            site.ended_on = site.ends_on
            notify_site_ended(site=site, early=False)
        ended += 1
    return ended


def main_institution_moved(*, registration: Registration, actor: User, application, old_institution, old_authority):
    """After a change of main institution: an audit row, and the old institution and old authority are told."""
    from .notifications import notify_main_institution_moved

    change = RegistrationChange.objects.create(
        registration=registration,
        actor=actor,
        actor_role=actor.role,
        from_state=registration.state,
        to_state=registration.state,
        comment=f"主要执业机构：{old_institution.name} → {registration.institution.name}",
        application=application,
    )
    notify_main_institution_moved(
        registration=registration, old_institution=old_institution, old_authority=old_authority
    )
    # Filings outside the new practice area end with the move (a filing lies inside the area).
    from .notifications import notify_site_ended

    area = area_of(registration)
    for site in registration.sites.filter(ended_on__isnull=True).select_related("institution"):
        if not area_contains(area, site.institution.region_id):
            site.ended_on = timezone.localdate()
            site.save(update_fields=["ended_on"])
            notify_site_ended(site=site, early=True)
    return change
