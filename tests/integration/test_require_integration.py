"""REQUIRE_INTEGRATION=1 (CI's PostgreSQL pass): a test that cannot run for a missing service fails, naming it."""

import pytest

from .conftest import unavailable


def test_without_the_variable_a_missing_service_skips_the_test(monkeypatch):
    monkeypatch.delenv("REQUIRE_INTEGRATION", raising=False)
    with pytest.raises(pytest.skip.Exception, match="moto's S3 server is not installed"):
        unavailable("moto's S3 server is not installed")


def test_with_the_variable_a_missing_service_fails_the_test_with_the_reason(monkeypatch):
    monkeypatch.setenv("REQUIRE_INTEGRATION", "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        unavailable("needs DATABASE_URL=postgres://…")
    assert str(failed.value) == "REQUIRE_INTEGRATION=1, but this test cannot run: needs DATABASE_URL=postgres://…"
