"""Structured logs: one line per request and per task, each with its id."""

import json
import logging

from docregistry.logging import JsonFormatter
from docregistry.registrations.tasks import dispatch_pending
from tests.factories import PASSWORD


def request_records(caplog):
    return [r for r in caplog.records if r.name == "docregistry.request"]


def test_each_request_is_logged_once_with_its_id_method_path_status_duration_and_user(client, world, caplog):
    caplog.set_level(logging.INFO)
    assert client.login(username=world.physician.username, password=PASSWORD)
    caplog.clear()
    response = client.get("/physician/", HTTP_X_REQUEST_ID="lb-abc-123")
    assert response["X-Request-ID"] == "lb-abc-123"  # the proxy's id is kept and returned
    [record] = request_records(caplog)
    assert record.request_id == "lb-abc-123"
    assert (record.method, record.path, record.status) == ("GET", "/physician/", response.status_code)
    assert record.user_id == world.physician.pk
    assert isinstance(record.duration_ms, float)
    assert "request_id=lb-abc-123" in record.getMessage() and "status=" in record.getMessage()


def test_an_unsafe_request_id_is_replaced_and_anonymous_requests_have_no_user(client, db, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    request_id = response["X-Request-ID"]
    assert request_id != "bad id\nwith newline" and len(request_id) == 32
    [record] = request_records(caplog)
    assert record.request_id == request_id and record.user_id is None


def test_each_task_is_logged_with_its_id_and_outcome(db, caplog):
    caplog.set_level(logging.INFO)
    result = dispatch_pending.delay()
    [record] = [r for r in caplog.records if r.name == "docregistry.task"]
    assert record.task_id == result.id
    assert record.task == "docregistry.registrations.tasks.dispatch_pending"
    assert record.state == "SUCCESS" and record.result == 0


def test_the_json_format_is_one_object_per_line_with_the_ids(client, db, caplog):
    caplog.set_level(logging.INFO)
    client.get("/healthz", HTTP_X_REQUEST_ID="req-42")
    [record] = request_records(caplog)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["request_id"] == "req-42" and data["status"] == 200 and data["path"] == "/healthz"
    assert data["level"] == "INFO" and data["logger"] == "docregistry.request"
