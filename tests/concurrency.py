"""Running callables at the same moment, each in its own thread and database connection."""

import threading

import pytest
from django.db import connection

# Row locks are what these tests prove; SQLite has none.
needs_postgres = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def race(targets, *, timeout: float = 60) -> list:
    """Start every callable together; return each one's result, or the exception it raised."""
    barrier = threading.Barrier(len(targets))
    outcomes: list = [None] * len(targets)

    def run(index, target):
        try:
            barrier.wait()
            outcomes[index] = target()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the tests inspect
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcomes
