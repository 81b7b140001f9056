"""What may happen to an application, declared once: the transitions and who stands in which role.

``TRANSITIONS`` is the single source: the services run a move only through it,
its ``reason_required`` is enforced when the move is made, and the portals render
their buttons from ``available_transitions`` with the transitions' labels.
This module only reads; the moves themselves are ``services.transitions``.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from docregistry.accounts.models import Role, User

from .models import Application

State = Application.State


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
            "institution_approve",
            _("Approve and send to the authority"),
            (State.SUBMITTED,),
            State.INSTITUTION_APPROVED,
            Role.INSTITUTION,
        ),
        Transition(
            "institution_return",
            _("Return to the physician"),
            (State.SUBMITTED,),
            State.RETURNED,
            Role.INSTITUTION,
            reason_required=True,
        ),
        Transition(
            "authority_approve",
            _("Approve and issue the certificate code"),
            (State.INSTITUTION_APPROVED,),
            State.AUTHORITY_APPROVED,
            Role.AUTHORITY,
        ),
        Transition(
            "authority_return",
            _("Return"),
            (State.INSTITUTION_APPROVED,),
            State.RETURNED,
            Role.AUTHORITY,
            reason_required=True,
        ),
        Transition(
            "authority_refuse",
            _("Refuse"),
            (State.INSTITUTION_APPROVED,),
            State.REFUSED,
            Role.AUTHORITY,
            reason_required=True,
        ),
    )
}

# The physician edits an application in these states only.
EDITABLE_STATES = (State.DRAFT, State.RETURNED)


def jurisdiction_prefix(user: User) -> str | None:
    """The region-code prefix bounding what a clerk sees and does; None for everyone else."""
    if user.role == Role.AUTHORITY and user.authority_id:
        return user.authority.region.prefix
    return None


def in_jurisdiction(user: User, region_code: str) -> bool:
    """Whether ``region_code`` lies in the clerk's jurisdiction (False for anyone who is not a clerk)."""
    prefix = jurisdiction_prefix(user)
    return prefix is not None and region_code.startswith(prefix)


def may_act(user: User, application: Application, role: str) -> bool:
    """Whether ``user`` stands in ``role`` towards ``application``."""
    if user.role != role:
        return False
    if role == Role.PHYSICIAN:
        return application.physician_id == user.pk
    if role == Role.INSTITUTION:
        return user.institution_id is not None and application.institution_id == user.institution_id
    if role == Role.AUTHORITY:
        return application.institution_id is not None and in_jurisdiction(user, application.institution.region_id)
    return False


def available_transitions(*, application: Application, user: User) -> list[Transition]:
    """The moves ``user`` may make now, in the table's order: what the buttons on a page offer."""
    return [t for t in TRANSITIONS.values() if application.state in t.sources and may_act(user, application, t.role)]


def visible_states(user: User) -> list[str]:
    """The states of the applications ``user``'s portal can ever show (``selectors.applications_visible_to``)."""
    hidden = {
        Role.INSTITUTION: (State.DRAFT,),
        # A clerk sees an application once an institution has forwarded it.
        Role.AUTHORITY: (State.DRAFT, State.SUBMITTED),
    }.get(user.role, ())
    return [value for value, _label in State.choices if value not in hidden]
