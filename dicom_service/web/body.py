"""Reading a request body within its limits: refused from `Content-Length` before any byte is read, or as
soon as the streamed body passes its limit; each chunk awaited at most `DICOM_BODY_TIMEOUT_SECONDS`; a
client that goes away mid-body is left to the request log: one line, never a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request

from dicom_service import limits


class BodyRefused(ValueError):
    """The body is over a limit (413) or too slow (408)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def too_large(what: str, size: str, field: str) -> BodyRefused:
    limit = limits.describe(field)
    shown = limit.shown(getattr(limits.current(), field))
    return BodyRefused(413, f"{what} is {size}; the limit is {shown} ({limit.setting}).")


def check_declared(request: Request, field: str, what: str = "The request body") -> None:
    """413 from the Content-Length header alone, before any byte of the body is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > getattr(limits.current(), field):
        raise too_large(what, f"{int(declared):,} bytes", field)


async def chunks(request: Request, field: str, what: str = "The request body") -> AsyncIterator[bytes]:
    """The body's chunks, refused past the limit `field` of limits.Limits (bytes)."""
    check_declared(request, field, what)
    limit, timeout = getattr(limits.current(), field), limits.current().body_timeout
    received = 0
    stream = request.stream().__aiter__()
    while True:
        # A client that goes away raises ClientDisconnect through here: the caller's files are removed on the
        # way out, and the request log (ops.access) writes the one line about it.
        try:
            async with asyncio.timeout(timeout):  # no task per chunk, unlike wait_for
                chunk = await stream.__anext__()
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise BodyRefused(
                408,
                f"No part of the request body arrived for {timeout} s (DICOM_BODY_TIMEOUT_SECONDS); "
                f"{received:,} bytes were received.",
            ) from None
        received += len(chunk)
        if received > limit:
            raise too_large(what, f"over {limit:,} bytes", field)
        yield chunk


async def read(request: Request, field: str, what: str = "The request body") -> bytes:
    """The whole body, within the limit `field`."""
    return b"".join([chunk async for chunk in chunks(request, field, what)])
