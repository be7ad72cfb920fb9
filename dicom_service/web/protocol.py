"""The HTTP/1.1 protocol the service runs under uvicorn: uvicorn's httptools protocol plus two guards.

- A cap on the process's open connections (`DICOM_MAX_CONNECTIONS`): the connection past it is answered 503
  with `Retry-After` and closed at once, so slow clients cannot take every file descriptor.
- A deadline for a request's line and headers (`DICOM_KEEP_ALIVE_SECONDS`): a connection that sends nothing,
  or its headers byte by byte, is answered 408 and closed. uvicorn only times connections idle after a
  response.
- A deadline for a client to take more of an answer (`DICOM_SEND_TIMEOUT_SECONDS`): one that stops reading
  is dropped, rather than holding its answer (and its files) open without end.

It also serves the `web/sendfile` extension: stored files sent with sendfile, not through Python buffers, and
hands a request's body to the app in the chunks it arrived in: uvicorn appends each chunk to a buffer and
copies the buffer out again, two copies of every body (9% of the event loop's CPU storing CT slices).

uvicorn's own `limit_concurrency` (set to the same cap) still answers 503 for requests in progress past it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from dicom_service import limits
from dicom_service.web import sendfile
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
        self.send_seconds = current.send_timeout
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
        plain = self.transport.get_extra_info("sslcontext") is None  # sendfile would bypass TLS
        if plain:
            self.scope["extensions"] = {**self.scope.get("extensions", {}), sendfile.EXTENSION: {}}
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not None and self.cycle is not before:  # the new request's (its task not yet run)
            self.cycle.send = _sending(self.cycle, self.send_seconds)  # type: ignore[method-assign,assignment]
            self.cycle.body = _Chunks()  # type: ignore[assignment]
            self.cycle.receive = _receiving(self.cycle)  # type: ignore[method-assign,assignment]

    def on_body(self, body: bytes) -> None:
        # As uvicorn's, but the chunk (a bytes of its own, from httptools) is kept, not copied into a buffer.
        chunks = self.cycle.body
        if not isinstance(chunks, _Chunks):  # a cycle this protocol did not set up: uvicorn's own way
            super().on_body(body)
            return
        if (self.parser.should_upgrade() and self._should_upgrade()) or self.cycle.response_complete:
            return
        chunks.append(body)
        chunks.size += len(body)
        if chunks.size > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        self.cycle.message_event.set()

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


class _Chunks(list[bytes]):
    """A request's body chunks received and not yet handed to the app, and their bytes."""

    size = 0


def _receiving(cycle: RequestResponseCycle) -> Callable[[], Awaitable[Any]]:
    """uvicorn's `receive` (0.54), its body the chunks as they came: one as it is, several joined once."""

    async def receive() -> Any:
        if cycle.waiting_for_100_continue and not cycle.transport.is_closing():
            cycle.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            cycle.waiting_for_100_continue = False
        if not cycle.disconnected and not cycle.response_complete:
            cycle.flow.resume_reading()
            await cycle.message_event.wait()
            cycle.message_event.clear()
        if cycle.disconnected or cycle.response_complete:
            return {"type": "http.disconnect"}
        chunks: _Chunks = cycle.body  # type: ignore[assignment]
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        cycle.body = _Chunks()  # type: ignore[assignment]
        return {"type": "http.request", "body": body, "more_body": cycle.more_body}

    return receive


def _sending(cycle: RequestResponseCycle, seconds: int) -> Callable[[Any], Awaitable[None]]:
    """The cycle's ASGI send with a deadline for a client that stops reading, and sendfile messages."""
    plain = cycle.send

    async def send(message: Any) -> None:
        if cycle.flow.write_paused and not cycle.disconnected:
            try:
                await asyncio.wait_for(cycle.flow.drain(), seconds)
            except TimeoutError:
                _drop(cycle, sendfile.SendFailed(f"the client took no bytes for {seconds} s"))
        if message["type"] != sendfile.SEND:
            await plain(message)
            return
        if cycle.disconnected:
            raise sendfile.SendFailed("the client closed the connection")
        segments = message["segments"]
        size = sendfile.length(segments)
        if not cycle.response_started or cycle.chunked_encoding or size > cycle.expected_content_length:
            raise RuntimeError(
                "A sendfile message needs an answer started with a Content-Length covering it."
            )
        if cycle.scope["method"] != "HEAD" and size:
            try:
                await _flushed(cycle, seconds)
                await sendfile.send(cycle.transport.get_extra_info("socket").fileno(), segments, seconds)
            except sendfile.SendFailed as exc:
                _drop(cycle, exc)
            cycle.expected_content_length -= size
        await plain({"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)})

    return send


async def _flushed(cycle: RequestResponseCycle, seconds: int) -> None:
    """Waits until the bytes uvicorn wrote (the status line and headers) have left: ours go after them."""
    deadline = asyncio.get_running_loop().time() + seconds
    while cycle.transport.get_write_buffer_size():
        if asyncio.get_running_loop().time() > deadline:
            raise sendfile.SendFailed(f"the client took no bytes for {seconds} s")
        await asyncio.sleep(0.001)


def _drop(cycle: RequestResponseCycle, exc: sendfile.SendFailed) -> NoReturn:
    """Ends an answer that cannot be finished: the connection is closed and the app told (it raises)."""
    log.log(logging.INFO if exc.by_client else logging.WARNING, "answer cut short: %s", exc)
    cycle.disconnected = True
    cycle.transport.abort()
    raise exc
