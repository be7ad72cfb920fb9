"""Stored files sent from the page cache to the socket (`os.sendfile`), never through Python buffers.

A private ASGI extension the service's protocol serves (`web/protocol.py`). After `http.response.start`
with a Content-Length, an answer sends one message `{"type": SEND, "segments": [...], "more_body": bool}`
whose segments are bytes or `FileSegment`s. They are written on a duplicate of the connection's
descriptor: the system calls (which may wait for the disk) run in a worker thread until the socket's
buffer is full, and the wait for the client to take more runs on the event loop, so no thread waits for a
slow client. A client that takes nothing for `timeout` seconds is dropped.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import Sequence
from typing import NamedTuple

EXTENSION = "dicom.sendfile"
SEND = "dicom.response.sendfile"


class FileSegment(NamedTuple):  # a tuple: made for every instance of a study before its first byte
    """`size` bytes of a stored file from `offset` (a whole file, or one value in it); a file shorter
    than its record fails the answer."""

    path: str
    size: int
    offset: int = 0


Segment = bytes | FileSegment


class SendFailed(Exception):
    """The answer could not be finished: the client left or stalled (`by_client`), or a file was gone or
    short."""

    def __init__(self, reason: str, by_client: bool = True) -> None:
        super().__init__(reason)
        self.by_client = by_client


def length(segments: Sequence[Segment]) -> int:
    return sum(s.size if isinstance(s, FileSegment) else len(s) for s in segments)


def _push(fd: int, segments: Sequence[Segment], index: int, offset: int) -> tuple[int, int]:
    """Writes from (segment `index`, byte `offset`) until done or the socket's buffer is full."""
    while index < len(segments):
        segment = segments[index]
        try:
            if isinstance(segment, FileSegment):
                offset = _send_file(fd, segment, offset)
                done = offset >= segment.size
            else:
                offset += os.write(fd, memoryview(segment)[offset:])
                done = offset >= len(segment)
        except BlockingIOError:
            return index, offset
        except OSError as exc:
            client = exc.errno in (errno.EPIPE, errno.ECONNRESET)
            raise SendFailed(_reason(exc, segment, client), by_client=client) from exc
        if not done:
            return index, offset  # the socket's buffer is full
        index, offset = index + 1, 0
    return index, offset


def _send_file(fd: int, segment: FileSegment, offset: int) -> int:
    with open(segment.path, "rb") as file:
        while offset < segment.size:
            try:
                sent = os.sendfile(fd, file.fileno(), segment.offset + offset, segment.size - offset)
            except BlockingIOError:
                return offset  # the caller waits for room, then reopens the file here
            if sent == 0:
                end = segment.offset + segment.size
                raise SendFailed(f"{segment.path} ends before byte {end:,}, its recorded end", False)
            offset += sent
    return offset


def _reason(exc: OSError, segment: Segment, client: bool) -> str:
    if client:
        return "the client closed the connection"
    if isinstance(segment, FileSegment):
        return f"{segment.path}: {exc.strerror or exc}"
    return str(exc)


async def send(socket_fd: int, segments: Sequence[Segment], timeout: float) -> None:
    """Writes every segment to the connection, or raises SendFailed."""
    loop = asyncio.get_running_loop()
    fd = os.dup(socket_fd)  # ours to close: the connection's own may close (and be reused) meanwhile
    pushing: asyncio.Future[tuple[int, int]] | None = None
    try:
        index, offset = 0, 0
        while True:
            pushing = loop.run_in_executor(None, _push, fd, segments, index, offset)
            index, offset = await asyncio.shield(pushing)
            if index >= len(segments):
                return
            await _writable(loop, fd, timeout)
    finally:
        if pushing is not None and not pushing.done():  # cancelled: the thread still writes to `fd`
            pushing.add_done_callback(lambda done: _close_after(done, fd))
        else:
            os.close(fd)


def _close_after(done: asyncio.Future[tuple[int, int]], fd: int) -> None:
    if not done.cancelled():
        done.exception()  # retrieved: nobody awaits it any more
    os.close(fd)


async def _writable(loop: asyncio.AbstractEventLoop, fd: int, timeout: float) -> None:
    ready: asyncio.Future[None] = loop.create_future()

    def room() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_writer(fd, room)
    try:
        await asyncio.wait_for(ready, timeout)
    except TimeoutError:
        raise SendFailed(f"the client took no bytes for {timeout:g} s") from None
    finally:
        loop.remove_writer(fd)
