"""Moving an application: the one guarded, atomic, audited move every transition makes.

Each move runs in a transaction, locks the row (``SELECT … FOR UPDATE``) and
updates it conditionally (``UPDATE … WHERE state = old``), so when two people act
at once the second gets "already handled" and nothing changes; each writes a
``StatusChange`` row. Which moves exist is ``workflow.TRANSITIONS``.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError

from docregistry.accounts.models import User
from docregistry.celery import enqueue

from ..errors import AlreadyHandled, NotAllowed, TransitionError  # noqa: F401 -- re-exported
from ..models import Application, Counter, StatusChange
from ..notifications import notify_application_change
from ..workflow import TRANSITIONS, may_act

logger = logging.getLogger(__name__)

MSG_ALREADY_HANDLED = _(
    "This application has already been handled by someone else and is now “%(state)s”. Nothing was changed."
)
MSG_NOT_ALLOWED = _("You may not do this with this application.")
MSG_REASON_REQUIRED = _("Please give the reason; the physician will read it.")


@transaction.atomic
def application_transition(
    *, application: Application, name: str, actor: User, ip: str | None = None, comment: str = "", **updates
) -> Application:
    """Make the move ``name`` (a key of ``TRANSITIONS``), writing ``updates`` with the new state."""
    transition = TRANSITIONS[name]
    comment = comment.strip()
    if transition.reason_required and not comment:
        raise ValidationError({"comment": MSG_REASON_REQUIRED})
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
        transaction.on_commit(lambda: _prerender(application.pk))
    return application


def _prerender(application_id: int) -> None:
    """Render the changed form in the background; a broker failure only costs the warm cache."""
    try:
        enqueue("docregistry.registrations.tasks.prerender_review_forms", [application_id])
    except OperationalError:
        logger.warning("review form of application %s not pre-rendered: broker unreachable", application_id)


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
