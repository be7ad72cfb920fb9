"""A streamed multipart answer: whole, its first bytes sent early, the rest in a few large chunks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from dicom_service.web import multipart
from dicom_service.web.answers import COALESCE, FIRST, multipart_answer

PART = 512 * 1024  # one CT slice


def _file(n: int) -> Iterator[bytes]:
    """A stored file as the folder store streams it (one read)."""
    yield bytes([n % 256]) * PART


def _sent(
    parts: list[tuple[str, Iterator[bytes] | bytes]], lengths: list[int]
) -> tuple[dict[str, str], list[bytes]]:
    response = multipart_answer(parts, 'multipart/related; type="application/dicom"', lengths=lengths)
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # the client never goes away
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "asgi": {"spec_version": "2.4"}}
    asyncio.run(response(scope, receive, send))
    headers = {k.decode(): v.decode() for k, v in messages[0]["headers"]}
    return headers, [m["body"] for m in messages[1:] if m.get("body")]


def test_a_study_is_sent_whole_first_bytes_early_then_in_large_chunks() -> None:
    count = 40
    parts: list[tuple[str, Iterator[bytes] | bytes]] = [("application/dicom", _file(n)) for n in range(count)]
    headers, chunks = _sent(parts, [PART] * count)
    body = b"".join(chunks)
    assert int(headers["content-length"]) == len(body)
    received = multipart.parse(headers["content-type"], body)
    assert [part.body for part in received] == [bytes([n]) * PART for n in range(count)]
    assert len(chunks[0]) <= FIRST + PART  # the first instance goes out without waiting for the next ones
    assert all(len(chunk) <= COALESCE + PART for chunk in chunks)
    assert len(chunks) <= 2 + count * PART // COALESCE  # not one handover per instance
