"""The HTTP/1.1 protocol the service runs under uvicorn: uvicorn's httptools protocol plus two guards.

- A cap on the process's open connections (`DICOM_MAX_CONNECTIONS`): the connection past it is answered 503
  with `Retry-After` and closed at once, so slow clients cannot take every file descriptor.
- A deadline for a request's line and headers (`DICOM_KEEP_ALIVE_SECONDS`): a connection that sends nothing,
  or its headers byte by byte, is answered 408 and closed. uvicorn only times connections idle after a
  response.

uvicorn's own `limit_concurrency` (set to the same cap) still answers 503 for requests in progress past it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from dicom_service import limits
from dicom_service.web.unavailable import RETRY_AFTER_SECONDS

log = logging.getLogger("dicom_service.connections")


def _answer(status: str, text: str, extra: str = "") -> bytes:
    body = text.encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n{extra}"
        f"connection: close\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def refused(cap: int) -> bytes:
    return _answer(
        "503 Service Unavailable",
        f"The service has {cap:,} open connections, its limit (DICOM_MAX_CONNECTIONS); try again shortly.",
        f"retry-after: {RETRY_AFTER_SECONDS}\r\n",
    )


def refused_by_supervisor() -> bytes:
    """No worker could take the connection (all stopping, or hung): the client retries shortly."""
    return _answer(
        "503 Service Unavailable",
        "No service process can take the connection now; try again shortly.",
        f"retry-after: {RETRY_AFTER_SECONDS}\r\n",
    )


def late(seconds: int) -> bytes:
    return _answer(
        "408 Request Timeout",
        f"The request line and headers did not arrive within {seconds} s (DICOM_KEEP_ALIVE_SECONDS).",
    )


class GuardedProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a connection cap and a deadline for each request's headers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = limits.current()
        self.max_connections = current.connections
        self.header_seconds = current.keep_alive_timeout
        self.header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            log.warning(
                "refused a connection: %d open, the limit is %d",
                len(self.connections) - 1,
                self.max_connections,
            )
            transport.write(refused(self.max_connections))
            transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.header_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the first bytes of a new request on a kept-alive connection
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self.header_timer = self.loop.call_later(self.header_seconds, self._headers_late)

    def _disarm(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_late(self) -> None:
        self.header_timer = None
        if not self.transport.is_closing():
            self.transport.write(late(self.header_seconds))
            self.transport.close()
