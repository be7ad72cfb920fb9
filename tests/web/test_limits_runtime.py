"""The limits' settings, the bounded CPU pool and the HTTP protocol's guards, each on its own: a wrong setting
is one line naming it, a full CPU pool refuses at once (503 with Retry-After through the app), the connection
past the cap is answered 503 with Retry-After, a request whose headers are late is answered 408, a client that
stops reading its answer is dropped, and sendfile is offered on plain connections only."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.testclient import TestClient

from dicom_service import limits
from dicom_service.app import create_app
from dicom_service.web import cpu
from dicom_service.web.cpu import CpuPool, Saturated
from dicom_service.web.protocol import GuardedProtocol
from dicom_service.web.sendfile import SendFailed


def test_defaults_and_settings_are_read_with_one_line_errors() -> None:
    assert limits.Limits.from_environment({}) == limits.Limits.defaults()
    assert limits.Limits.defaults().instance_bytes == 2 * limits.GIB
    read = limits.Limits.from_environment({"DICOM_MAX_PARTS": "1_000", "DICOM_MAX_JSON_BYTES": " 4096 "})
    assert (read.parts, read.json_bytes) == (1000, 4096)
    with pytest.raises(limits.LimitError) as bad:
        limits.Limits.from_environment({"DICOM_MAX_SEQUENCE_DEPTH": "deep"})
    assert str(bad.value).startswith("DICOM_MAX_SEQUENCE_DEPTH: 'deep' is not a whole number of levels")
    with pytest.raises(limits.LimitError, match=r"DICOM_MAX_CONNECTIONS: '0' .* from 1 to"):
        limits.Limits.from_environment({"DICOM_MAX_CONNECTIONS": "0"})


def test_limits_are_shown_as_people_read_them() -> None:
    assert limits.describe("request_bytes").shown() == "2 GiB"
    assert limits.describe("json_bytes").shown() == "16 MiB"
    assert limits.describe("parts").shown() == "10,000 parts"
    assert limits.describe("json_bytes").shown(1500) == "1,500 bytes"


def test_a_full_cpu_pool_refuses_at_once_and_takes_work_again_once_freed() -> None:
    async def scenario() -> tuple[float, int]:
        pool = CpuPool(workers=1, queue=1)
        release = threading.Event()
        busy = [asyncio.ensure_future(pool.run(release.wait, 5)) for _ in range(2)]  # one runs, one waits
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        with pytest.raises(Saturated, match="DICOM_MAX_CPU_QUEUE"):
            await pool.run(sum, [1, 2])
        refused_in = time.perf_counter() - started
        release.set()
        await asyncio.gather(*busy)
        return refused_in, await pool.run(sum, [1, 2])

    refused_in, later = asyncio.run(scenario())
    assert refused_in < 0.05
    assert later == 3


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="SCHED_BATCH is Linux's")
def test_cpu_workers_run_under_sched_batch_and_the_caller_keeps_its_policy() -> None:
    """A worker the event loop wakes must not preempt the loop, which holds the GIL it would wait for."""

    async def policies() -> tuple[int, int]:
        pool = CpuPool(workers=1, queue=0)
        return await pool.run(os.sched_getscheduler, 0), os.sched_getscheduler(0)

    worker, caller = asyncio.run(policies())
    assert worker == os.SCHED_BATCH
    assert caller == os.SCHED_OTHER


async def _ok(scope: dict[str, object], receive: object, send: object) -> None:
    assert callable(send)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A uvicorn server with the guarded protocol, at most 2 connections, 1 s for a request's headers."""
    monkeypatch.setenv("DICOM_MAX_CONNECTIONS", "2")
    monkeypatch.setenv("DICOM_KEEP_ALIVE_SECONDS", "1")
    limits.current.cache_clear()
    try:
        with _serving(_ok) as port:
            yield port
    finally:
        limits.current.cache_clear()


@contextlib.contextmanager
def _serving(app: Any, **options: Any) -> Iterator[int]:
    """`app` under uvicorn with the guarded protocol, in a thread; its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=GuardedProtocol, log_level="warning", lifespan="off", **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def _reply(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_the_connection_past_the_cap_is_answered_503_with_retry_after(guarded: int) -> None:
    held = [socket.create_connection(("127.0.0.1", guarded)) for _ in range(2)]
    try:
        time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", guarded)) as third:
            started = time.perf_counter()
            answer = _reply(third)
            assert time.perf_counter() - started < 0.5
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert b"retry-after: 1" in answer.lower() and b"DICOM_MAX_CONNECTIONS" in answer
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.1)
    with socket.create_connection(("127.0.0.1", guarded)) as again:  # freed: served again
        again.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _reply(again).startswith(b"HTTP/1.1 200 ")


def test_a_request_whose_headers_are_late_is_answered_408_and_closed(guarded: int) -> None:
    with socket.create_connection(("127.0.0.1", guarded)) as slow:
        started = time.perf_counter()
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        answer = _reply(slow)
        waited = time.perf_counter() - started
    assert answer.startswith(b"HTTP/1.1 408 ") and b"DICOM_KEEP_ALIVE_SECONDS" in answer
    assert 0.8 < waited < 3
    with socket.create_connection(("127.0.0.1", guarded)) as silent:  # connected, sent nothing
        assert _reply(silent).startswith(b"HTTP/1.1 408 ")


def test_a_request_finding_the_cpu_pool_full_is_answered_503_with_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    full = CpuPool(workers=1, queue=0)
    full.admitted = 1  # one call running, none may wait
    monkeypatch.setattr(cpu, "pool", lambda: full)
    workitem = [{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]}, "00741000": {"vr": "CS"}}]
    with TestClient(create_app(mock=True)) as client:
        response = client.post(
            "/v2/workitems",
            json=workitem,
            headers={"Content-Type": "application/dicom+json", "Accept": "application/dicom+json"},
        )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "DICOM_MAX_CPU_QUEUE" in response.text


async def _offers_sendfile(scope: dict[str, Any], receive: object, send: object) -> None:
    assert callable(send)
    body = b"yes" if "dicom.sendfile" in scope.get("extensions", {}) else b"no"
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]}
    )
    await send({"type": "http.response.body", "body": body})


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return folder / "cert.pem", folder / "key.pem"


@pytest.mark.parametrize("tls", [False, True])
def test_sendfile_is_offered_on_plain_connections_only(tls: bool, tmp_path: Path) -> None:
    """sendfile writes to the socket itself: on a TLS connection its bytes would bypass the encryption."""
    certificate, key = _self_signed(tmp_path)
    options = {"ssl_certfile": str(certificate), "ssl_keyfile": str(key)} if tls else {}
    with _serving(_offers_sendfile, **options) as port:
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/"
        headers = {"Connection": "close"}  # nothing kept open for the server's stop to wait for
        answer = requests.get(url, headers=headers, verify=str(certificate) if tls else True, timeout=10)
    assert answer.text == ("no" if tls else "yes")


def _read_for(sock: socket.socket, seconds: float) -> bytes:
    """What arrives until the server closes the connection or `seconds` pass."""
    data, deadline = b"", time.monotonic() + seconds
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            continue
        if not chunk:
            break
        data += chunk
    return data


def test_a_client_that_stops_reading_a_streamed_answer_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only sendfile answers: uvicorn's own wait for a full socket to drain ends after
    DICOM_SEND_TIMEOUT_SECONDS too, and the app hears of it (its send raises)."""
    monkeypatch.setenv("DICOM_SEND_TIMEOUT_SECONDS", "1")
    limits.current.cache_clear()
    outcome: dict[str, Any] = {}

    async def streaming(scope: dict[str, Any], receive: object, send: Any) -> None:
        size = 64 << 20  # far more than the socket buffers of a client that reads nothing
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % size)]}
        )
        started = time.monotonic()
        try:
            for _ in range(64):
                await send({"type": "http.response.body", "body": bytes(1 << 20), "more_body": True})
        except SendFailed as exc:
            outcome["failed"], outcome["after"] = str(exc), time.monotonic() - started

    try:
        with _serving(streaming) as port, socket.socket() as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.connect(("127.0.0.1", port))
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(3)
            received = _read_for(client, 5)  # bounded: a server still sending would take minutes here
    finally:
        limits.current.cache_clear()
    assert outcome.get("failed") == "the client took no bytes for 1 s"
    assert 1 <= outcome["after"] < 3
    assert len(received) < 64 << 20  # closed before the end
