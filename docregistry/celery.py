"""The Celery application: Redis as broker when REDIS_URL is set, eager otherwise.

Tasks are found in every installed app's ``tasks`` module (notifications and
reminders in ``docregistry.registrations.tasks``, the roster import in
``qualifications.tasks``, batch PDFs in ``institutions.tasks``); the periodic
schedule is ``CELERY_BEAT_SCHEDULE`` in the settings.
"""

import os

from celery import Celery

from docregistry.logging import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docregistry.settings.dev")

app = Celery("docregistry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
connect_celery_signals()
