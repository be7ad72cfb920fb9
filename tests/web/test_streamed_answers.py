"""A streamed multipart answer: whole, its first bytes sent early, the rest in a few handovers from the worker
thread, large pieces sent as they are (not copied into a join). Stored files, where the server offers no
sendfile, are read and sent the same way."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dicom_service.web import answers, multipart
from dicom_service.web.answers import COALESCE, FIRST, Body, StoredFilesResponse, multipart_answer
from dicom_service.web.sendfile import FileSegment

PART = 512 * 1024  # one CT slice


def _file(n: int) -> Iterator[bytes]:
    """A stored file as the folder store streams it (one read)."""
    yield bytes([n % 256]) * PART


def _sent(parts: list[tuple[str, Body]], lengths: list[int]) -> tuple[dict[str, str], list[bytes]]:
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


def test_a_study_is_sent_whole_first_bytes_early_then_in_few_handovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handovers: list[object] = []
    threaded = answers.iterate_in_threadpool

    async def counted(iterator: Iterator[Any]) -> Any:
        async for item in threaded(iterator):
            handovers.append(item)
            yield item

    monkeypatch.setattr(answers, "iterate_in_threadpool", counted)
    count = 40
    parts: list[tuple[str, Body]] = [("application/dicom", _file(n)) for n in range(count)]
    headers, chunks = _sent(parts, [PART] * count)
    body = b"".join(chunks)
    assert int(headers["content-length"]) == len(body)
    received = multipart.parse(headers["content-type"], body)
    assert [part.body for part in received] == [bytes([n]) * PART for n in range(count)]
    assert sum(map(len, chunks[: chunks.index(bytes([0]) * PART) + 1])) <= FIRST  # the first instance at once
    assert bytes([count - 1]) * PART in chunks  # a large piece is sent as it is, never copied into a join
    assert all(len(chunk) <= PART for chunk in chunks)
    assert len(handovers) <= 2 + count * PART // COALESCE  # not one handover per instance


def test_stored_files_are_read_and_sent_whole_where_the_server_offers_no_sendfile(tmp_path: Path) -> None:
    paths = []
    for n in range(3):
        paths.append(tmp_path / f"{n}.dcm")
        paths[-1].write_bytes(os.urandom(PART + n))
    parts: list[tuple[str, Body]] = [
        ("application/dicom", FileSegment(str(p), PART + n)) for n, p in enumerate(paths)
    ]
    parts.insert(1, ("application/dicom", b"in memory"))
    parts.append(("application/octet-stream", FileSegment(str(paths[2]), 1000, 4000)))  # a value in a file
    answer = multipart_answer(parts, 'multipart/related; type="application/dicom"')
    assert isinstance(answer, StoredFilesResponse)
    headers, chunks = _sent(parts, [])
    body = b"".join(chunks)
    assert int(headers["content-length"]) == len(body)
    received = [part.body for part in multipart.parse(headers["content-type"], body)]
    files = [path.read_bytes() for path in paths]
    assert received == [files[0], b"in memory", files[1], files[2], files[2][4000:5000]]
