"""Which storage engine a failure comes from, when it is the engine's state rather than a bug.

The index database unreachable, cut, restarting or past its timeouts, the blob store unreachable, the data
disk full: each passes, so callers answer 503 and retry, and log one line instead of a traceback.
"""

from __future__ import annotations

import errno
import sqlite3
import sys

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

INDEX, BLOBS, DISK = "index database", "blob store", "data disk"
# SQLite reports these as OperationalError, and a bug in a statement too: only these are the engine's state.
SQLITE_STATES = ("database is locked", "disk is full", "unable to open database", "disk i/o error")
# The Azure SDK's errors for a service it could not reach or that did not answer (azure.core.exceptions);
# named, not imported: the SDK is loaded only when the blob store is Azure's.
AZURE_UNREACHABLE = frozenset({"ServiceRequestError", "ServiceResponseError", "ServiceRequestTimeoutError"})


def engine_of(exc: BaseException) -> str | None:
    """Which engine failed, when `exc` (or what caused it) is an engine's failure; None for anything else."""
    seen: BaseException | None = exc
    while seen is not None:
        found = _engine(seen)
        if found is not None:
            return found
        seen = seen.__cause__ or seen.__context__
    return None


def _engine(exc: BaseException) -> str | None:
    if isinstance(exc, PoolTimeout):
        return INDEX
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return INDEX
        if _postgresql_operational(exc.orig):  # away, restarting, overloaded, past a timeout
            return INDEX
        if isinstance(exc.orig, sqlite3.Error) and any(s in str(exc.orig).lower() for s in SQLITE_STATES):
            return DISK if "disk is full" in str(exc.orig).lower() else INDEX
        return None
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DISK
    names = {c.__name__ for c in type(exc).__mro__ if c.__module__.startswith("azure.core")}
    if names & AZURE_UNREACHABLE:
        return BLOBS
    if "HttpResponseError" in names and (getattr(exc, "status_code", None) or 0) >= 500:
        return BLOBS
    return None


def commit_uncertain(exc: BaseException) -> bool:
    """Whether a write transaction that raised `exc` may have committed all the same: its connection
    failed, perhaps after the server had committed. The caller keeps what the transaction would reference
    (an instance's blob), which the orphan sweep removes later if no row does."""
    return isinstance(exc, DBAPIError) and (exc.connection_invalidated or _postgresql_operational(exc.orig))


def _postgresql_operational(error: BaseException | None) -> bool:
    psycopg = sys.modules.get("psycopg")  # loaded by the engine only when the index is PostgreSQL
    return psycopg is not None and isinstance(error, psycopg.OperationalError)


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
