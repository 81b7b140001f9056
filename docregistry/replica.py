"""Reports read from a PostgreSQL read replica when ``DATABASE_REPLICA_URL`` is set.

``ReplicaRouter`` sends reads made inside ``replica_reads()`` to the ``replica`` alias; everything
else (every write, every other page, and the session and user lookups even of a report request,
which must see a login made a moment ago) stays on ``default``. ``ReportsOnReplicaMiddleware``
opens ``replica_reads()`` around the views named in ``REPLICA_VIEWS``: the report page and its
exports, whose full-table aggregates are what a replica is for. A replica lags its primary by a
few seconds at most, which a statistics page can afford.
"""

import contextlib
import contextvars

from django.conf import settings
from django.urls import Resolver404, resolve

REPLICA = "replica"
# Models a report request still reads from the primary: who is asking, and their session.
PRIMARY_APPS = {"sessions", "auth", "contenttypes", "accounts", "admin"}

_on_replica = contextvars.ContextVar("docregistry_replica_reads", default=False)


@contextlib.contextmanager
def replica_reads():
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _on_replica.get() and REPLICA in settings.DATABASES and model._meta.app_label not in PRIMARY_APPS:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows its primary; never migrate it


class ReportsOnReplicaMiddleware:
    """Runs the views named in ``settings.REPLICA_VIEWS`` (and their streamed bodies) inside ``replica_reads()``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if REPLICA not in settings.DATABASES or not self._report(request):
            return self.get_response(request)
        with replica_reads():
            response = self.get_response(request)
        if response.streaming:  # an export queries while it is sent, after this returns
            response.streaming_content = _streamed_on_replica(response.streaming_content)
        return response

    @staticmethod
    def _report(request) -> bool:
        try:
            return resolve(request.path_info).view_name in settings.REPLICA_VIEWS
        except Resolver404:
            return False


def _streamed_on_replica(content):
    with replica_reads():
        yield from content
