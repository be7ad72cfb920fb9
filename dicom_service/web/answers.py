"""Answers the DICOMweb handlers give: DICOM JSON, multipart/related bodies, documented errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from starlette.concurrency import iterate_in_threadpool
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from dicom_service import multipart

DICOM_JSON = "application/dicom+json"


def dicom_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, separators=(",", ":")).encode(), status, headers, DICOM_JSON)


def json_text(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An answer whose JSON is already serialised (stored metadata is kept as text)."""
    return Response(text.encode(), status, headers, DICOM_JSON)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A documented error: plain text naming the request's fault, as the service writes it."""
    return PlainTextResponse(message, status, headers)


def multipart_answer(
    parts: Iterable[tuple[str, Iterator[bytes] | bytes]],
    content_type: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """A multipart/related answer streamed part by part; each part is (Content-Type, body or chunks)."""
    boundary = multipart.new_boundary()

    def chunks() -> Iterator[bytes]:
        for part_type, body in parts:
            yield f"--{boundary}\r\nContent-Type: {part_type}\r\n\r\n".encode()
            if isinstance(body, bytes):
                yield body
            else:
                yield from body
            yield b"\r\n"
        yield f"--{boundary}--\r\n".encode()

    async def stream() -> AsyncIterator[bytes]:
        async for chunk in iterate_in_threadpool(chunks()):
            yield chunk

    return StreamingResponse(stream(), 200, headers, f"{content_type}; boundary={boundary}")
