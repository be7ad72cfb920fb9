"""multipart/related bodies (RFC 2387), the DICOMweb way: one part per instance or frame."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from dicom_service.web.mediatypes import parse_media_type


class MultipartError(ValueError):
    """A multipart body that cannot be read; the message says why."""


@dataclass(frozen=True)
class Part:
    content_type: str
    body: bytes


def new_boundary() -> str:
    return uuid.uuid4().hex


def build(parts: Sequence[Part], boundary: str) -> bytes:
    chunks = []
    for part in parts:
        chunks.append(
            f"--{boundary}\r\nContent-Type: {part.content_type}\r\n\r\n".encode() + part.body + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def parse(content_type: str, body: bytes) -> list[Part]:
    """The parts of a multipart body; its Content-Type must carry the boundary."""
    essence, params = parse_media_type(content_type)
    if not essence.startswith("multipart/"):
        raise MultipartError(f"{essence!r} is not a multipart media type")
    boundary = params.get("boundary")
    if not boundary:
        raise MultipartError("the Content-Type has no boundary parameter")
    delimiter = b"--" + boundary.encode()
    sections = body.split(delimiter)
    if len(sections) < 3 or not sections[-1].startswith(b"--"):
        raise MultipartError("the body does not end with the closing boundary")
    parts = []
    for section in sections[1:-1]:
        if not section.startswith(b"\r\n"):
            raise MultipartError("a boundary is not followed by a line break")
        head, separator, content = section[2:].partition(b"\r\n\r\n")
        if not separator:
            raise MultipartError("a part has no blank line after its headers")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        if content.endswith(b"\r\n"):
            content = content[:-2]
        parts.append(Part(headers.get("content-type", "text/plain"), content))
    return parts
