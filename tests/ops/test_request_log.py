"""One JSON log line per request, with no patient data, and the request metrics behind it."""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from dicom_service.ops import metrics
from dicom_service.ops.access import ObservedRequests, redacted_query
from dicom_service.ops.logs import JsonLines


async def search(scope: Scope, receive: Receive, send: Send) -> None:
    """Stands for the routing layer: names what it matched, as the service's routes do."""
    scope["state"].update(api_version="2", operation_id="searchStudies", route="/v2/studies")
    if scope["query_string"].startswith(b"as=client"):
        scope["state"]["principal"] = SimpleNamespace(subject="s", client_id="viewer-app", roles=())
    await PlainTextResponse("[]")(scope, receive, send)


def lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    formatter = JsonLines()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "dicom_service.access"]


def test_a_request_is_one_json_line_without_its_query_values(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "dicom_service.access")
    client = TestClient(ObservedRequests(search))
    answer = client.get("/v2/studies?PatientID=DOE-1234&PatientName=Doe%5EJane&limit=5&includefield=all")
    assert answer.status_code == 200
    [line] = lines(caplog)
    assert line["request_id"] == answer.headers["X-Request-Id"]
    assert {k: line[k] for k in ("api_version", "operation", "route", "status", "client", "aborted")} == {
        "api_version": "2",
        "operation": "searchStudies",
        "route": "/v2/studies",
        "status": 200,
        "client": "anonymous",
        "aborted": False,
    }
    assert line["query"] == "PatientID=*&PatientName=*&limit=5&includefield=all"
    assert line["bytes_out"] == 2 and isinstance(line["duration_ms"], float)
    assert "DOE-1234" not in json.dumps(line) and "Doe" not in json.dumps(line)


def test_the_query_keeps_control_values_only() -> None:
    assert redacted_query(b"StudyDate=20240101-20240131&fuzzymatching=true&offset=10&00100020=X") == (
        "StudyDate=*&fuzzymatching=true&offset=10&00100020=*"
    )


def test_requests_are_counted_per_version_operation_status_and_client() -> None:
    def count(client: str) -> float:
        return metrics.REQUESTS.labels("2", "searchStudies", "200", client)._value.get()

    before = count("viewer-app"), count("anonymous")
    client = TestClient(ObservedRequests(search))
    client.get("/v2/studies?as=client")
    client.get("/v2/studies?as=client")
    client.get("/v2/studies")
    assert (count("viewer-app"), count("anonymous")) == (before[0] + 2, before[1] + 1)


async def upload(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, as a store does; the client goes away midway."""
    scope["state"].update(api_version="2", operation_id="storeInstances", route="/v2/studies")
    request = Request(scope, receive)
    async for _ in request.stream():
        pass
    await Response(status_code=200)(scope, receive, send)


def test_an_aborted_upload_is_one_warning_line_without_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "dicom_service")
    messages = [
        {"type": "http.request", "body": b"x" * 1000, "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    async def send(message: object) -> None:
        pass

    scope = {"type": "http", "method": "POST", "path": "/v2/studies", "query_string": b"", "headers": []}
    asyncio.run(ObservedRequests(upload)(scope, receive, send))  # type: ignore[arg-type]
    [line] = lines(caplog)
    assert line["aborted"] is True and line["level"] == "warning" and "traceback" not in line
    assert line["bytes_in"] == 1000
    assert [r for r in caplog.records if r.exc_info] == []
