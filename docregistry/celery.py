"""The Celery application: Redis as broker when REDIS_URL is set, eager otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docregistry.settings.dev")

app = Celery("docregistry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
