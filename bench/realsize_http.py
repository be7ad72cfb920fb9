"""The real-size bench's HTTP client: one keep-alive `http.client` connection per client thread, bodies sent
from memory or streamed from a file with their length known, answers read into one reused buffer (the client
must not be what limits a retrieve of hundreds of MB), with the time to the first byte of the body."""

from __future__ import annotations

import http.client
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

CHUNK = 1 << 20
REFERENCED_SOPS = "00081199"
TIMEOUT = 600.0

Part = bytes | Path


@dataclass
class Answer:
    status: int
    seconds: float  # from sending the request to the last byte of the answer
    first_byte: float  # from sending the request to the first byte of the body
    length: int
    body: bytes  # kept only when asked

    def head(self) -> str:
        return repr(self.body[:300])


def multipart(parts: list[Part]) -> tuple[list[Part], str]:
    """A STOW-RS body of one application/dicom part per instance (bytes, or a file streamed when sent)."""
    boundary = "bench-" + secrets.token_hex(12)
    body: list[Part] = []
    for part in parts:
        body += [f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode(), part, b"\r\n"]
    body.append(f"--{boundary}--\r\n".encode())
    if all(isinstance(p, bytes) for p in body):  # one buffer: fewer sends, and the bench can reuse it
        body = [b"".join(p for p in body if isinstance(p, bytes))]
    return body, f'multipart/related; type="application/dicom"; boundary={boundary}'


def _chunks(body: list[Part]) -> Iterator[bytes]:
    for part in body:
        if isinstance(part, bytes):
            yield part
            continue
        with part.open("rb") as source:
            while chunk := source.read(CHUNK):
                yield chunk


def length(body: list[Part]) -> int:
    return sum(len(p) if isinstance(p, bytes) else p.stat().st_size for p in body)


class Link:
    """One keep-alive connection to a server's DICOMweb root (reopened when the server closed it)."""

    def __init__(self, root: str) -> None:
        url = urlsplit(root)
        self.host, self.port, self.prefix = url.hostname or "127.0.0.1", url.port or 80, url.path
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        self.buffer = bytearray(CHUNK)

    def close(self) -> None:
        self.connection.close()

    def send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: list[Part] | None = None,
        keep: bool = True,
    ) -> Answer:
        try:
            return self._send(method, path, headers, body, keep)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()  # a keep-alive connection the server closed: once more on a new one
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            return self._send(method, path, headers, body, keep)

    def _send(
        self, method: str, path: str, headers: dict[str, str], body: list[Part] | None, keep: bool
    ) -> Answer:
        started = time.perf_counter()
        self.connection.putrequest(method, self.prefix + path, skip_accept_encoding=True)
        for name, value in headers.items():
            self.connection.putheader(name, value)
        if body is not None:
            self.connection.putheader("Content-Length", str(length(body)))
        self.connection.endheaders()
        for chunk in _chunks(body or []):
            self.connection.send(chunk)
        response = self.connection.getresponse()
        if keep:
            data = response.read()
            now = time.perf_counter()
            return Answer(response.status, now - started, now - started, len(data), data)
        received = len(response.read1(65536))  # what the server sent first, without waiting for more
        first = time.perf_counter() - started
        view = memoryview(self.buffer)
        while read := response.readinto(view):
            received += read
        return Answer(response.status, time.perf_counter() - started, first, received, b"")


def stored_count(answer: Answer) -> int:
    """How many instances a STOW-RS answer references as stored (0 when it is not a success)."""
    if answer.status != 200:
        return 0
    try:
        referenced = json.loads(answer.body).get(REFERENCED_SOPS, {}).get("Value", [])
    except (ValueError, AttributeError):
        return 0
    return len(referenced)
