"""Which failures are an engine's passing state (503 + Retry-After) and which are bugs (500)."""

from __future__ import annotations

import errno
import sqlite3

import psycopg
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dicom_service.storage.faults import BLOBS, DISK, INDEX, commit_uncertain, engine_of


def wrapped(orig: Exception, kind: type[Exception] = OperationalError) -> Exception:
    return kind("SELECT 1", {}, orig)


@pytest.mark.parametrize(
    ("exc", "engine"),
    [
        (wrapped(psycopg.OperationalError("connection refused")), INDEX),
        (wrapped(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")), INDEX),
        (wrapped(psycopg.errors.AdminShutdown("terminating connection")), INDEX),
        (PoolTimeout("QueuePool limit of size 10 overflow 20 reached"), INDEX),
        (wrapped(sqlite3.OperationalError("database is locked")), INDEX),
        (wrapped(sqlite3.OperationalError("database or disk is full")), DISK),
        (OSError(errno.ENOSPC, "No space left on device"), DISK),
        (ServiceRequestError("connection refused"), BLOBS),
        (HttpResponseError(message="server busy", response=None), None),
        (wrapped(sqlite3.OperationalError("no such column: x")), None),
        (wrapped(psycopg.errors.UndefinedColumn("column x does not exist"), ProgrammingError), None),
        (ResourceNotFoundError("the blob is gone"), None),
        (ValueError("a bug"), None),
    ],
)
def test_an_engine_failure_is_told_from_a_bug(exc: Exception, engine: str | None) -> None:
    assert engine_of(exc) == engine


def test_the_cause_of_an_error_is_looked_at_too() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise RuntimeError("writing the body failed") from exc
    except RuntimeError as outer:
        assert engine_of(outer) == DISK


def test_a_commit_whose_connection_failed_may_have_happened() -> None:
    assert commit_uncertain(wrapped(psycopg.OperationalError("server closed the connection unexpectedly")))
    assert not commit_uncertain(wrapped(psycopg.errors.UniqueViolation("duplicate key"), ProgrammingError))
