"""Test runs: fast hashing, in-memory SMS and mail, files in a temporary folder."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SMS_BACKEND = "docregistry.accounts.sms.locmem.SmsBackend"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="docregistry-media-"))
LANGUAGE_CODE = "zh-hans"
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Tasks run in-process in tests, even when REDIS_URL points at a real broker; the
# tests that need a real worker (marker celery_worker) switch eager mode off.
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REPORT_CACHE_SECONDS = 0  # computed on every request; the test of the cache switches it on
REVIEW_FORM_PRERENDER = False  # the test that covers it switches it on
# A stand-in read replica: a second connection to the test database. Routing to it is off
# (REPLICA_VIEWS empty) except in the test that switches it on (docregistry/tests/test_replica.py).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
REPLICA_VIEWS = []
