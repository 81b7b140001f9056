import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle_windows():
    """Each test starts with no request counted against any client address."""
    cache.clear()
    yield
    cache.clear()
