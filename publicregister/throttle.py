"""Per-client-address limits for the public pages (the lookup, the FHIR API).

A fixed window counted in the shared cache (Redis in production: ``add`` and ``incr`` are
atomic there). We chose this over django-ratelimit, whose system checks reject the
local-memory cache the development and test settings use and warn on Django's own
Redis backend, which ``check --deploy --fail-level WARNING`` turns into a failure.
"""

import time

from django.conf import settings
from django.core.cache import cache

from docregistry.http import client_ip


def throttled(request, *, scope: str) -> bool:
    """Count this request against the client's window; True once the window's limit is passed."""
    limit, seconds = settings.PUBLIC_THROTTLE[scope]
    window = int(time.time() // seconds)
    key = f"throttle:{scope}:{client_ip(request) or '-'}:{window}"
    if cache.add(key, 1, seconds + 1):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds + 1)
        count = 1
    return count > limit
