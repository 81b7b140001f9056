"""Structured logs: one line per request and one line per task, each with its id.

``RequestLogMiddleware`` gives every request an id (the caller's ``X-Request-ID``
when it is sane, else a new one), returns it in the ``X-Request-ID`` header and
logs ``request_id method path status duration_ms user_id`` once the response is
ready. ``connect_celery_signals`` does the same for Celery tasks (``task_id``,
the name, the outcome, the duration) and carries the request id into the tasks
a request queues, so an operator can follow a submission into the worker.

``ContextFilter`` puts the current ids on every log record, and
``JsonFormatter`` (``LOG_FORMAT=json``, the production default) writes each
record as one JSON object.
"""

import contextlib
import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.utils.functional import empty

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
task_id_var: ContextVar[str] = ContextVar("task_id", default="-")

request_logger = logging.getLogger("docregistry.request")
task_logger = logging.getLogger("docregistry.task")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Attributes every LogRecord has; anything else was passed with ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def new_id() -> str:
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``task_id`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "task_id"):
            record.task_id = task_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and value != "-":
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def _fields_text(fields: dict) -> str:
    return " ".join(f"{key}={value}" for key, value in fields.items())


def _user_id(request):
    """The user id if authentication already ran; never costs a query of its own."""
    user = getattr(request, "user", None)
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty or wrapped is None:
        return None
    return getattr(wrapped, "pk", None)


class RequestLogMiddleware:
    """Outermost middleware: names the request and logs it once, when it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_ID.match(incoming) else new_id()
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            fields = {
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": _user_id(request),
            }
            level = logging.ERROR if status >= 500 else logging.INFO
            request_logger.log(level, "request %s", _fields_text(fields), extra=fields)
            request_id_var.reset(token)


# ---- Celery ---------------------------------------------------------------

# task id -> (start time, context tokens to restore when the task ends)
_running: dict[str, tuple] = {}


def _request_id_of(task) -> str:
    request = getattr(task, "request", None)
    if request is None:
        return ""
    return getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get("request_id") or ""


def _on_before_publish(headers=None, **kwargs):
    if headers is not None and request_id_var.get() != "-":
        headers.setdefault("request_id", request_id_var.get())


def _on_prerun(task_id=None, task=None, **kwargs):
    request_id = _request_id_of(task) or request_id_var.get()
    tokens = (task_id_var.set(task_id or "-"), request_id_var.set(request_id))
    _running[task_id] = (time.perf_counter(), tokens)


def _on_postrun(task_id=None, task=None, state=None, retval=None, **kwargs):
    started, tokens = _running.pop(task_id, (None, None))
    fields = {
        "task_id": task_id,
        "task": getattr(task, "name", "?"),
        "state": state,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started is not None else None,
        "result": retval if isinstance(retval, str | int | float | bool | type(None)) else type(retval).__name__,
        "request_id": request_id_var.get(),
    }
    level = logging.INFO if state in ("SUCCESS", "RETRY") else logging.ERROR
    task_logger.log(level, "task %s", _fields_text(fields), extra=fields)
    if tokens is not None:
        for var, token in zip((task_id_var, request_id_var), tokens, strict=True):
            with contextlib.suppress(ValueError):  # set in another context: leave it
                var.reset(token)


def connect_celery_signals() -> None:
    """Called once by the Celery app module."""
    from celery import signals

    signals.before_task_publish.connect(_on_before_publish, weak=False, dispatch_uid="docregistry.log.publish")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="docregistry.log.prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="docregistry.log.postrun")
