"""Receiving STOW-RS bodies: streamed to temporary files, one per instance, never held in memory whole."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser
from starlette.requests import Request

from dicom_service.web.mediatypes import parse_media_type

DICOM = "application/dicom"


class BodyError(ValueError):
    """A body that cannot be read as the service expects; `status` is the answer (400 or 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@asynccontextmanager
async def instance_files(request: Request, folder: Path) -> AsyncIterator[list[Path]]:
    """The request's instances as files in `folder`: one for application/dicom, one per multipart part.

    Files still there on exit (not moved into the blob store) are removed. Raises BodyError.
    """
    writer = _PartWriter(folder, uuid.uuid4().hex)
    try:
        yield await _receive(request, writer)
    finally:
        writer.close()
        for path in writer.files:
            path.unlink(missing_ok=True)


async def _receive(request: Request, writer: _PartWriter) -> list[Path]:
    essence, params = parse_media_type(request.headers.get("content-type", ""))
    if essence == DICOM:
        writer.headers_finished()
        async for chunk in request.stream():
            writer.data(chunk, 0, len(chunk))
        writer.close()
        return writer.files if writer.files[0].stat().st_size else []
    boundary = params.get("boundary")
    if not boundary:
        raise BodyError(400, "The multipart/related Content-Type has no boundary parameter.")
    return await _parts(request, writer, boundary)


class _PartWriter:
    """python-multipart callbacks that write each part to its own file."""

    def __init__(self, folder: Path, prefix: str) -> None:
        self.folder = folder
        self.prefix = prefix  # unique per request: requests share the folder
        self.files: list[Path] = []
        self.file: BinaryIO | None = None
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
            raise BodyError(
                415,
                f"Part {len(self.files) + 1} has Content-Type '{part_type}'; "
                "only application/dicom parts are accepted.",
            )
        path = self.folder / f"{self.prefix}-{len(self.files)}.dcm"
        self.files.append(path)
        self.file = path.open("wb")

    def data(self, chunk: bytes, start: int, end: int) -> None:
        assert self.file is not None
        self.file.write(chunk[start:end])

    def part_end(self) -> None:
        self.close()

    def end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


async def _parts(request: Request, writer: _PartWriter, boundary: str) -> list[Path]:
    parser = MultipartParser(boundary, writer.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise BodyError(400, f"The multipart/related body cannot be read: {exc}") from None
    finally:
        writer.close()
    if not writer.ended:
        raise BodyError(400, "The multipart/related body is incomplete: its closing boundary is missing.")
    return writer.files
