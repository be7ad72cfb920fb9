"""Limits on every input, on the running service and each storage configuration: a body past its limit is
refused as soon as it is known (from Content-Length, or while streaming) with nothing stored and no
temporary file left; a decompression bomb and a body of 100,000 parts are refused in under a second while
a concurrent search stays under 100 ms; an instance nesting sequences too deeply fails on its own; a slow
body is answered 408 and an aborted one leaves one log line, never a traceback."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from tests.service.bomb import bomb
from tests.service.data import instance, multipart, part10
from tests.service.live import LiveService, running

MIB = 1 << 20
LIMITS = {
    "DICOM_MAX_REQUEST_BYTES": str(8 * MIB),
    "DICOM_MAX_INSTANCE_BYTES": str(MIB),
    "DICOM_MAX_JSON_BYTES": str(64 * 1024),
    "DICOM_MAX_SEQUENCE_DEPTH": "8",
    "DICOM_BODY_TIMEOUT_SECONDS": "1",
}
STORE = "/v2/studies"
JSON = "application/dicom+json"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, storage: dict[str, str]) -> Iterator[LiveService]:
    with running(Path(tmp_path_factory.mktemp("limited")) / "data", {**storage, **LIMITS}) as live:
        yield live


def _leftovers(live: LiveService) -> list[Path]:
    """Received instance files still under the data folder: in the service's temporary folders, or staged
    beside their place in the blob folders."""
    return [*(live.data_dir / "tmp").rglob("*.dcm"), *(live.data_dir / "blobs").rglob(".*.part")]


def _raw(live: LiveService, head: str, body: bytes = b"", then: float = 0.0) -> tuple[bytes, float]:
    """Send `head` (request line and headers) and `body` on a plain socket; (the answer, seconds to it)."""
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        started = time.perf_counter()
        sock.sendall(head.encode() + b"\r\n" + body)
        time.sleep(then)
        answer = b""
        while not answer.endswith(b"\r\n\r\n") and b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        elapsed = time.perf_counter() - started
        try:
            sock.settimeout(1)
            while chunk := sock.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return answer, elapsed


def _store_head(length: int, content_type: str = "application/dicom") -> str:
    return (
        f"POST {STORE} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {JSON}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n"
    )


def test_a_body_declaring_more_than_the_limit_is_refused_before_a_byte_of_it_is_sent(
    limited: LiveService,
) -> None:
    answer, elapsed = _raw(limited, _store_head(8 * MIB + 1))
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"DICOM_MAX_INSTANCE_BYTES" in answer or b"DICOM_MAX_REQUEST_BYTES" in answer
    assert elapsed < 1


def test_an_instance_past_its_limit_is_refused_while_streaming_and_its_file_removed(
    limited: LiveService,
) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: only streaming can tell
        for _ in range(32):
            yield bytes(64 * 1024)

    response = requests.post(
        (limited.root + STORE), data=chunks(), headers={"Content-Type": "application/dicom", "Accept": JSON}
    )
    assert response.status_code == 413
    assert "DICOM_MAX_INSTANCE_BYTES" in response.text and "1 MiB" in response.text
    assert _leftovers(limited) == []


def test_a_part_past_the_instance_limit_refuses_the_whole_request_and_stores_nothing(
    limited: LiveService,
) -> None:
    first = instance()
    body, content_type = multipart([part10(first), bytes(MIB + 1)])
    response = requests.post(
        (limited.root + STORE), data=body, headers={"Content-Type": content_type, "Accept": JSON}
    )
    assert response.status_code == 413
    assert response.text.startswith("Part 2 is over") and "DICOM_MAX_INSTANCE_BYTES" in response.text
    search = requests.get(limited.root + f"/v2/studies?StudyInstanceUID={first.StudyInstanceUID}")
    assert search.status_code == 204
    assert _leftovers(limited) == []


def test_a_json_body_past_its_limit_is_refused(limited: LiveService) -> None:
    body = b'{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "' + b"x" * (64 * 1024) + b'"}]}}'
    response = requests.post(
        (limited.root + "/v2/workitems"), data=body, headers={"Content-Type": JSON, "Accept": JSON}
    )
    assert response.status_code == 413
    assert "DICOM_MAX_JSON_BYTES" in response.text and "64 KiB" in response.text


def _nested(depth: int) -> Dataset:
    ds = instance()
    inner = Dataset()
    inner.CodeValue = "leaf"
    for _ in range(depth):
        outer = Dataset()
        outer.ContentSequence = Sequence([inner])
        inner = outer
    ds.ContentSequence = inner.ContentSequence
    return ds


def test_an_instance_nesting_sequences_too_deeply_fails_alone_and_the_others_are_reported_stored(
    limited: LiveService,
) -> None:
    fine, deep = instance(), _nested(9)
    body, content_type = multipart([part10(fine), part10(deep)])
    response = requests.post(
        (limited.root + STORE), data=body, headers={"Content-Type": content_type, "Accept": JSON}
    )
    assert response.status_code == 202
    answer = response.json()
    stored = [item["00081155"]["Value"][0] for item in answer["00081199"]["Value"]]
    failed = answer["00081198"]["Value"]
    assert stored == [fine.SOPInstanceUID]
    assert failed[0]["00081197"]["Value"] == [272]
    reason = failed[0]["00741048"]["Value"][0]["00000902"]["Value"][0]
    assert "9 levels deep" in reason and "DICOM_MAX_SEQUENCE_DEPTH" in reason
    fine_search = requests.get(limited.root + f"/v2/studies?StudyInstanceUID={fine.StudyInstanceUID}")
    assert fine_search.status_code == 200


def _while_searching(
    live: LiveService, action: Callable[[], requests.Response]
) -> tuple[requests.Response, float, list[float]]:
    """(the action's answer, its seconds, the ms of each search made meanwhile on another connection)."""
    patient = instance(PatientID="LIMITS-SEARCH")
    body, content_type = multipart([part10(patient)])
    requests.post((live.root + STORE), data=body, headers={"Content-Type": content_type, "Accept": JSON})
    searches: list[float] = []
    done = threading.Event()

    def search() -> None:
        with requests.Session() as session:
            session.get(live.root + "/v2/studies?PatientID=LIMITS-SEARCH")  # connection opened, warm
            while not done.is_set():
                started = time.perf_counter()
                found = session.get(live.root + "/v2/studies?PatientID=LIMITS-SEARCH")
                searches.append((time.perf_counter() - started) * 1000)
                assert found.status_code == 200
                time.sleep(0.01)

    searcher = threading.Thread(target=search)
    searcher.start()
    time.sleep(0.2)
    started = time.perf_counter()
    try:
        response = action()
    finally:
        elapsed = time.perf_counter() - started
        time.sleep(0.1)
        done.set()
        searcher.join(30)
    return response, elapsed, searches


def _assert_quick(searches: list[float]) -> None:
    """The goal is every concurrent search under 100 ms (it was 3.5 to 10.5 s before these limits). On a
    shared test machine one search now and then waits for a core whatever the service does: the median
    must meet the goal, and no search may come near the old stalls."""
    assert searches
    assert statistics.median(searches) < 100
    assert max(searches) < 500


def test_a_body_of_100000_parts_is_refused_within_a_second_while_searches_stay_quick(
    limited: LiveService,
) -> None:
    boundary = "many"
    part = f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\nx\r\n".encode()
    body = part * 100_000 + f"--{boundary}--\r\n".encode()
    content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    response, elapsed, searches = _while_searching(
        limited,
        lambda: requests.post(
            (limited.root + STORE), data=body, headers={"Content-Type": content_type, "Accept": JSON}
        ),
    )
    assert response.status_code == 413
    assert "over 10,000 parts" in response.text and "DICOM_MAX_PARTS" in response.text
    print(
        f"100,000 parts: refused in {elapsed * 1000:.0f} ms; {len(searches)} searches meanwhile, "
        f"median {statistics.median(searches):.1f} ms, max {max(searches):.1f} ms"
    )
    assert elapsed < 1
    _assert_quick(searches)
    assert _leftovers(limited) == []


def test_a_decompression_bomb_is_refused_before_decoding_while_searches_stay_quick(
    limited: LiveService,
) -> None:
    ds, data = bomb()
    body, content_type = multipart([data])
    stored = requests.post(
        (limited.root + STORE), data=body, headers={"Content-Type": content_type, "Accept": JSON}
    )
    assert stored.status_code == 200
    url = (
        limited.root
        + f"/v2/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"
    )
    response, elapsed, searches = _while_searching(
        limited, lambda: requests.get(url + "/rendered", headers={"Accept": "image/jpeg"})
    )
    assert response.status_code == 406
    assert "67,108,864 pixels" in response.text and "DICOM_MAX_FRAME_PIXELS" in response.text
    print(
        f"decompression bomb: refused in {elapsed * 1000:.0f} ms; {len(searches)} searches meanwhile, "
        f"median {statistics.median(searches):.1f} ms, max {max(searches):.1f} ms"
    )
    assert elapsed < 1
    _assert_quick(searches)
    transcoded = requests.get(url, headers={"Accept": 'multipart/related; type="application/dicom"'})
    assert transcoded.status_code == 406 and "DICOM_MAX_FRAME_PIXELS" in transcoded.text
    as_stored = requests.get(
        url, headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'}
    )
    assert as_stored.status_code == 200 and len(as_stored.content) > len(data)  # no decoding: sent as stored


def test_a_body_that_stops_arriving_is_answered_408_and_its_file_removed(limited: LiveService) -> None:
    answer, elapsed = _raw(limited, _store_head(512 * 1024), bytes(1000))
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"DICOM_BODY_TIMEOUT_SECONDS" in answer
    assert 0.9 < elapsed < 5
    assert _leftovers(limited) == []


def test_a_client_that_goes_away_mid_upload_leaves_one_log_line_and_no_traceback(
    limited: LiveService,
) -> None:
    before = limited.log.read_text(errors="replace")
    with socket.create_connection(("127.0.0.1", limited.port)) as sock:
        sock.sendall(_store_head(512 * 1024).encode() + b"\r\n" + bytes(100_000))
        time.sleep(0.3)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        added = limited.log.read_text(errors="replace")[len(before) :]
        if "aborted" in added:
            break
        time.sleep(0.1)
    # (the request's audit record, a JSON line, is written as for any request)
    lines = [line for line in added.splitlines() if line.strip() and not line.startswith("{")]
    assert len(lines) == 1 and "request aborted by the client" in lines[0]
    assert "Traceback" not in added
    assert _leftovers(limited) == []
