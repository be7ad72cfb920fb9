"""Under `make serve`, a request's body reaches the app in the chunks it arrived in (not copied into a buffer
and out again): a body sent in small pieces, chunked, after `Expect: 100-continue`, is stored whole."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import requests

from tests.load.served import Served
from tests.service import data


def _answer(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


@pytest.mark.e2e  # starts the service as its own process
def test_a_body_sent_chunked_in_small_pieces_after_100_continue_is_stored_whole(tmp_path: Path) -> None:
    ds = data.instance(PatientID="PIECES")
    ds.Rows = ds.Columns = 256
    ds.PixelData = os.urandom(256 * 256 * 2)  # 128 KiB: more than uvicorn's 64 KiB before it pauses reading
    file = data.part10(ds)
    body, content_type = data.multipart([file])
    service = Served(tmp_path / "data", admin=False).start()
    try:
        with socket.create_connection(("127.0.0.1", service.port), timeout=10) as sock:
            sock.sendall(
                (
                    "POST /v2/studies HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/dicom+json\r\n"
                    f"Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
                    "Expect: 100-continue\r\n\r\n"
                ).encode()
            )
            assert _answer(sock).startswith(b"HTTP/1.1 100 Continue")
            for start in range(0, len(body), 7000):
                piece = body[start : start + 7000]
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
            assert _answer(sock).startswith(b"HTTP/1.1 200 ")
        url = (
            f"{service.root}/v2/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
            f"/instances/{ds.SOPInstanceUID}"
        )
        stored = requests.get(url, headers={"Accept": "application/dicom; transfer-syntax=*"}, timeout=30)
        assert stored.status_code == 200
        assert stored.content[128:] == file[128:]  # byte for byte (the preamble is kept as zeros)
    finally:
        service.stop()
