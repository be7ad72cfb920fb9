"""A storage engine that fails or is too slow while a request runs: 503 with `Retry-After`, not a 500.

The index database unreachable, cut or past its timeouts, the blob store unreachable, the data disk full:
none is the client's fault nor a bug, and each passes, so the client is told to retry. The log gets one
warning line with the request id and the reason, no traceback; the metrics count it per engine.
"""

from __future__ import annotations

import errno
import logging
import sqlite3

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.responses import Response

from dicom_service.ops.metrics import UNAVAILABLE
from dicom_service.web.unavailable import unavailable

logger = logging.getLogger("dicom_service")
RETRY_AFTER_SECONDS = 5  # an engine restarting takes seconds, not milliseconds
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
        if isinstance(exc.orig, psycopg.OperationalError):  # away, restarting, overloaded, past a timeout
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


def engine_unavailable(request: Request, exc: BaseException) -> Response | None:
    """503 + Retry-After naming the engine when `exc` is an engine's failure; None otherwise."""
    engine = engine_of(exc)
    if engine is None:
        return None
    UNAVAILABLE.labels(engine).inc()
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    rid = request.scope.get("state", {}).get("request_id", "-")
    logger.warning("request %s: the %s is unavailable: %s", rid, engine, reason[:300])
    if engine == DISK:
        message = "The service's data disk is full; try again later."
    else:
        message = f"The service's {engine} is unavailable; try again later."
    return unavailable(message, RETRY_AFTER_SECONDS)
