"""Receiving STOW-RS bodies: streamed to files, one per instance (staged beside its place in the blob store,
or in the process's temporary folder), never held in memory whole.

The body is refused (413) as soon as it, one of its parts, or its number of parts passes its limit
(`dicom_service/limits.py`); multipart parsing runs on the CPU pool, a batch of chunks at a time, so a
body of many tiny parts never holds the event loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser
from starlette.requests import Request

from dicom_service import limits
from dicom_service.storage.blobs import BlobStore
from dicom_service.web import body, cpu
from dicom_service.web.body import BodyRefused
from dicom_service.web.mediatypes import parse_media_type

DICOM = "application/dicom"
T = TypeVar("T")
BATCH = 1 << 20  # bytes of body handed to the parser at once: one CPU-pool call per batch, not per chunk


async def received(
    request: Request, folder: Path, blobs: BlobStore, then: Callable[[list[Path], list[str]], T]
) -> T:
    """`then(files, keys)` of the request's instances as files (one for application/dicom, one per
    multipart part), run on the CPU pool in the same handover as the body's last parsing batch: a
    one-instance store waits for one worker thread, not two. Each file is written where the blob store
    stages a file for its key (`keys`, one per file), else in `folder`.

    Files still there on return (not moved into the blob store) are removed. Raises BodyRefused.
    """
    writer = _PartWriter(folder, uuid.uuid4().hex, limits.current(), blobs)
    try:
        return await _receive(request, writer, then)
    finally:
        writer.close()
        for path in writer.files:
            path.unlink(missing_ok=True)


async def _receive(request: Request, writer: _PartWriter, then: Callable[[list[Path], list[str]], T]) -> T:
    essence, params = parse_media_type(request.headers.get("content-type", ""))
    if essence == DICOM:
        field = (
            "instance_bytes"
            if writer.limits.instance_bytes < writer.limits.request_bytes
            else "request_bytes"
        )
        body.check_declared(request, field, "The instance")
        writer.headers_finished()
        async for chunk in body.chunks(request, field, "The instance"):
            writer.data(chunk, 0, len(chunk))
        writer.close()
        empty = not writer.files[0].stat().st_size
        return await cpu.run(then, [] if empty else writer.files, [] if empty else writer.keys)
    boundary = params.get("boundary")
    if not boundary:
        raise BodyRefused(400, "The multipart/related Content-Type has no boundary parameter.")
    return await _parts(request, writer, boundary, then)


class _PartWriter:
    """python-multipart callbacks that write each part to its own file."""

    def __init__(self, folder: Path, prefix: str, limits: limits.Limits, blobs: BlobStore) -> None:
        self.folder = folder
        self.prefix = prefix  # unique per request: requests share the folder
        self.limits = limits
        self.blobs = blobs
        self.files: list[Path] = []
        self.keys: list[str] = []  # the blob key each file is written for
        self.file: BinaryIO | None = None
        self.written = 0  # bytes of the current part
        self.ended = False
        self.field = b""
        self.value = b""
        self.part_type = b""

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.data,
            "on_part_end": self.part_end,
            "on_end": self.end,
        }

    def begin(self) -> None:
        self.part_type = b""

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def header_end(self) -> None:
        if self.field.strip().lower() == b"content-type":
            self.part_type = self.value.strip()
        self.field, self.value = b"", b""

    def headers_finished(self) -> None:
        part_type = self.part_type.decode("latin-1")
        if part_type and parse_media_type(part_type)[0] != DICOM:
            raise BodyRefused(
                415,
                f"Part {len(self.files) + 1} has Content-Type '{part_type}'; "
                "only application/dicom parts are accepted.",
            )
        if len(self.files) >= self.limits.parts:
            raise body.too_large("The multipart/related body", f"over {self.limits.parts:,} parts", "parts")
        key = self.blobs.new_key()
        path = self.blobs.staging_path(key) or self.folder / f"{self.prefix}-{len(self.files)}.dcm"
        self.files.append(path)
        self.keys.append(key)
        try:
            self.file = path.open("wb")
        except FileNotFoundError:
            path.parent.mkdir(exist_ok=True)  # a blob folder removed since start-up
            self.file = path.open("wb")
        self.written = 0

    def data(self, chunk: bytes, start: int, end: int) -> None:
        assert self.file is not None
        self.written += end - start
        if self.written > self.limits.instance_bytes:
            limit = self.limits.instance_bytes
            raise body.too_large(f"Part {len(self.files)}", f"over {limit:,} bytes", "instance_bytes")
        # the parser hands whole batches with offsets: a view, not a copy of each part's bytes
        self.file.write(chunk if start == 0 and end == len(chunk) else memoryview(chunk)[start:end])

    def part_end(self) -> None:
        self.close()

    def end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


async def _parts(
    request: Request, writer: _PartWriter, boundary: str, then: Callable[[list[Path], list[str]], T]
) -> T:
    parser = MultipartParser(boundary, writer.callbacks())  # type: ignore[arg-type]
    delimiter, delimiters = b"--" + boundary.encode(), 0
    batch: list[bytes] = []
    size = 0
    try:
        async for chunk in body.chunks(request, "request_bytes"):
            batch.append(chunk)
            size += len(chunk)
            if size >= BATCH:
                data = b"".join(batch)
                delimiters = _count_parts(data, delimiter, delimiters, writer.limits.parts)
                await cpu.run(parser.write, data)
                batch, size = [], 0
    except MultipartParseError as exc:
        raise BodyRefused(400, f"The multipart/related body cannot be read: {exc}") from None
    for chunk in batch:  # the last batch: counted and parsed chunk by chunk, not joined (a copy)
        delimiters = _count_parts(chunk, delimiter, delimiters, writer.limits.parts)

    def finish() -> T:
        try:
            for chunk in batch:
                parser.write(chunk)
            parser.finalize()
        except MultipartParseError as exc:
            raise BodyRefused(400, f"The multipart/related body cannot be read: {exc}") from None
        finally:
            writer.close()
        if not writer.ended:
            raise BodyRefused(
                400, "The multipart/related body is incomplete: its closing boundary is missing."
            )
        return then(writer.files, writer.keys)

    return await cpu.run(finish)


def _count_parts(data: bytes, delimiter: bytes, seen: int, limit: int) -> int:
    """Boundary delimiters seen so far; 413 once they announce more parts than the limit, counted at C speed
    before any parsing (a delimiter split between two batches is missed here, never by the parser)."""
    seen += data.count(delimiter)
    if seen - 1 > limit:  # the closing delimiter is not a part
        raise body.too_large("The multipart/related body", f"over {limit:,} parts", "parts")
    return seen
