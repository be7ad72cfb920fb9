"""The one mapping from a failure to 503 + Retry-After: an engine's passing state is told to retry (naming the
engine, one log line, counted per engine), a bug is not (it stays a 500 with its traceback)."""

from __future__ import annotations

import errno
import logging

import psycopg
import pytest
from azure.core.exceptions import ServiceRequestError
from sqlalchemy.exc import OperationalError
from starlette.requests import Request

from dicom_service.ops.metrics import UNAVAILABLE
from dicom_service.storage.faults import BLOBS, DISK, INDEX
from dicom_service.web.unavailable import (
    ENGINE_RETRY_AFTER_SECONDS,
    RETRY_AFTER_SECONDS,
    engine_unavailable,
    stopping,
)


def request() -> Request:
    scope = {"type": "http", "method": "GET", "path": "/v2/studies", "headers": [], "state": {}}
    scope["state"]["request_id"] = "rid-1"
    return Request(scope)


def counted(engine: str) -> float:
    return UNAVAILABLE.labels(engine)._value.get()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("exc", "engine", "text"),
    [
        (
            OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused")),
            INDEX,
            "The service's index database is unavailable; try again later.",
        ),
        (
            ServiceRequestError("connection refused"),
            BLOBS,
            "The service's blob store is unavailable; try again later.",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device"),
            DISK,
            "The service's data disk is full; try again later.",
        ),
    ],
)
def test_an_engine_failure_is_503_with_retry_after_naming_the_engine(
    exc: Exception, engine: str, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = counted(engine)
    with caplog.at_level(logging.WARNING, logger="dicom_service"):
        answer = engine_unavailable(request(), exc)
    assert answer is not None and answer.status_code == 503
    assert answer.headers["Retry-After"] == str(ENGINE_RETRY_AFTER_SECONDS)
    assert bytes(answer.body).decode() == text
    assert counted(engine) == before + 1
    [record] = caplog.records
    assert record.exc_info is None and "rid-1" in record.getMessage() and engine in record.getMessage()


def test_a_bug_is_not_told_to_retry() -> None:
    assert engine_unavailable(request(), ValueError("a bug")) is None
    wrapped = OperationalError("SELECT x", {}, psycopg.errors.UndefinedColumn("column x does not exist"))
    assert engine_unavailable(request(), wrapped) is None


def test_a_request_cut_by_the_stop_is_told_to_retry_soon() -> None:
    answer = stopping()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert bytes(answer.body).decode() == "The service is stopping; try again."
