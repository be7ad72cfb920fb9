"""One JSON log line and the metrics of every request: an ASGI middleware around the whole service.

The routing layer names what it matched in the ASGI scope's state (`api_version`, `operation_id`, `route`:
the path template, so no UID or partition name is logged); the identity layer names the caller
(`principal`, with its `client_id`). Query values are redacted but for the few control keys below: search
values are patient data (PatientID, PatientName, …).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dicom_service.ops import metrics
from dicom_service.web import sendfile
from dicom_service.web.failures import new_request_id
from dicom_service.web.unavailable import stopping

logger = logging.getLogger("dicom_service.access")
REQUEST_ID_HEADER = b"x-request-id"
# Keys whose values say how to answer, never what is searched for: logged as sent.
CONTROL_KEYS = frozenset({"limit", "offset", "fuzzymatching", "includefield", "quality", "viewport"})
REDACTED = "*"
UNMATCHED = "unmatched"


def request_id(scope: Scope) -> str:
    """The id of the request this scope belongs to, made once (the log line, the 500 body, audit records)."""
    state: dict[str, Any] = scope.setdefault("state", {})
    found = state.get("request_id")
    if not isinstance(found, str):
        found = state["request_id"] = new_request_id()
    return found


def redacted_query(raw: bytes) -> str:
    """The query string with every value but those of CONTROL_KEYS replaced by `*`."""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return "&".join(f"{k}={v if k.lower() in CONTROL_KEYS else REDACTED}" for k, v in pairs)


@dataclass
class _Exchange:
    status: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    finished: bool = False  # the answer's last byte was sent
    disconnected: bool = False  # the client went away before that
    raised: bool = False  # the application failed (a server error, logged with its traceback elsewhere)


class ObservedRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        seen = _Exchange()

        async def observed_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen.bytes_in += len(message.get("body", b""))
            elif message["type"] == "http.disconnect" and not seen.finished:
                seen.disconnected = True
            return message

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen.status = message["status"]
                headers = list(message.get("headers", []))
                if all(name.lower() != REQUEST_ID_HEADER for name, _ in headers):
                    headers.append((REQUEST_ID_HEADER, rid.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                seen.bytes_out += len(message.get("body", b""))
                seen.finished = not message.get("more_body", False)
            elif message["type"] == sendfile.SEND:
                seen.bytes_out += sendfile.length(message["segments"])
                seen.finished = not message.get("more_body", False)
            await send(message)

        started = time.perf_counter()
        metrics.IN_FLIGHT.inc()
        try:
            await self.app(scope, observed_receive, observed_send)
        except ClientDisconnect:
            if not seen.disconnected:
                raise
            # The client went away mid-body: nothing to answer, and not a server error (no traceback).
        except sendfile.SendFailed:
            seen.disconnected = True  # the answer was cut short, its connection closed (logged as aborted)
        except asyncio.CancelledError:
            if seen.status:
                raise
            # A graceful stop's bound ran out (DICOM_SHUTDOWN_SECONDS): a retryable answer, not uvicorn's 500.
            await stopping()(scope, observed_receive, observed_send)
        except BaseException:
            seen.raised = True
            if not seen.status:
                seen.status = 500  # what the server answers for an app that raised before answering
            raise
        finally:
            metrics.IN_FLIGHT.dec()
            _record(scope, rid, seen, time.perf_counter() - started)


def _client(state: dict[str, Any]) -> str:
    client_id = getattr(state.get("principal"), "client_id", None)
    return str(client_id) if client_id else metrics.ANONYMOUS


def _record(scope: Scope, rid: str, seen: _Exchange, seconds: float) -> None:
    state: dict[str, Any] = scope.get("state", {})
    version = str(state.get("api_version") or metrics.NO_VERSION)
    operation = str(state.get("operation_id") or UNMATCHED)
    client = _client(state)
    aborted = seen.disconnected or not (seen.finished or seen.raised)
    metrics.REQUESTS.labels(version, operation, str(seen.status), client).inc()
    metrics.DURATION.labels(version, operation).observe(seconds)
    metrics.RECEIVED_BYTES.labels(version, operation).inc(seen.bytes_in)
    metrics.SERVED_BYTES.labels(version, operation).inc(seen.bytes_out)
    if aborted:
        metrics.ABORTED.labels(version, operation).inc()
    fields = {
        "event": "request",
        "request_id": rid,
        "method": scope.get("method"),
        "route": state.get("route") or UNMATCHED,
        "query": redacted_query(scope.get("query_string", b"")),
        "api_version": version,
        "operation": operation,
        "client": client,
        "status": seen.status,
        "duration_ms": round(seconds * 1000, 1),
        "bytes_in": seen.bytes_in,
        "bytes_out": seen.bytes_out,
        "aborted": aborted,
    }
    level = logging.WARNING if aborted else logging.ERROR if seen.status >= 500 else logging.INFO
    logger.log(level, "request aborted by the client" if aborted else "request", extra={"fields": fields})
