"""Local development: embedded defaults, debug on."""

import os

from .base import *  # noqa: F403

DEBUG = os.environ.get("DEBUG", "1") == "1"
# Static files come straight from the apps' folders; collectstatic is for production.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
