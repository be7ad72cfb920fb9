"""Receiving STOW-RS bodies: streamed to temporary files, one per instance, never held in memory whole."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser
from starlette.requests import Request

from dicom_service.mediatypes import parse_media_type

DICOM = "application/dicom"


class BodyError(ValueError):
    """A body that cannot be read as the service expects; `status` is the answer (400 or 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def instance_files(request: Request, folder: Path) -> list[Path]:
    """The request's instances as files in `folder`: one for application/dicom, one per multipart part."""
    essence, params = parse_media_type(request.headers.get("content-type", ""))
    if essence == DICOM:
        path = folder / "0.dcm"
        with path.open("wb") as file:
            async for chunk in request.stream():
                file.write(chunk)
        return [path] if path.stat().st_size else []
    boundary = params.get("boundary")
    if not boundary:
        raise BodyError(400, "The multipart/related Content-Type has no boundary parameter.")
    return await _parts(request, folder, boundary)


class _PartWriter:
    """python-multipart callbacks that write each part to its own file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
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
        path = self.folder / f"{len(self.files)}.dcm"
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


async def _parts(request: Request, folder: Path, boundary: str) -> list[Path]:
    writer = _PartWriter(folder)
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


def temporary_folder(root: Path) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(dir=root, prefix="stow-")
