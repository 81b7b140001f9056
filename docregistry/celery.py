"""The Celery application: Redis as broker when REDIS_URL is set, eager otherwise.

Tasks are found in every installed app's ``tasks`` module (notifications and
reminders in ``docregistry.registrations.tasks``, the roster import in
``qualifications.tasks``, batch PDFs in ``institutions.tasks``); the periodic
schedule is ``CELERY_BEAT_SCHEDULE`` in the settings.
"""

import functools
import os

from celery import Celery

from docregistry.logging import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docregistry.settings.dev")

app = Celery("docregistry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
connect_celery_signals()


def enqueue(name: str, *args) -> None:
    """Queue the task registered under ``name`` (eagerly run where tasks run in-process).

    Services queue their background work by name, so a service module never imports
    a task module: the tasks import the services they call, never the reverse.
    Raises kombu's ``OperationalError`` when the broker is unreachable.
    """
    _discover_tasks()
    app.signature(name, args=args).delay()


@functools.cache
def _discover_tasks() -> None:
    """Import every app's ``tasks`` module once (Celery does this itself only in a worker)."""
    app.autodiscover_tasks(force=True)
