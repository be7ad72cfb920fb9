"""SIGTERM: the service stops accepting, lets the requests in flight finish within DICOM_SHUTDOWN_SECONDS,
and exits with status 0."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.load.scenario import STORE
from tests.load.served import Served
from tests.service import data

pytestmark = pytest.mark.e2e  # starts the service as its own process


def slow_body(
    body: bytes, started: threading.Event, pause: float, release: threading.Event | None = None
) -> Iterator[bytes]:
    """The body in two halves, `pause` seconds apart or until `release` (sent chunked)."""
    yield body[: len(body) // 2]
    started.set()
    (release or threading.Event()).wait(pause)
    yield body[len(body) // 2 :]


def store_in_thread(served: Served, body: Iterator[bytes]) -> tuple[threading.Thread, dict[str, object]]:
    outcome: dict[str, object] = {}

    def send() -> None:
        try:
            outcome["answer"] = requests.post(
                f"{served.root}/v2/studies", data=body, headers=STORE, timeout=60
            )
        except requests.RequestException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=send)
    thread.start()
    return thread, outcome


def test_a_store_in_flight_at_sigterm_is_answered_then_the_service_exits_0(tmp_path: Path) -> None:
    served = Served(tmp_path / "data", {"DICOM_SHUTDOWN_SECONDS": "20"}, admin=False).start()
    ds = data.instance()
    started = threading.Event()
    thread, outcome = store_in_thread(served, slow_body(data.part10(ds), started, pause=2.0))
    assert started.wait(30)
    time.sleep(0.5)  # the request is in the service's hands
    assert served.process is not None
    process = served.process
    process.send_signal(15)
    time.sleep(0.5)
    with pytest.raises(requests.ConnectionError):  # no new request is accepted
        requests.get(f"{served.root}/v2/partitions", timeout=5)
    thread.join(60)
    answer = outcome.get("answer")
    assert isinstance(answer, requests.Response) and answer.status_code == 200, outcome
    assert process.wait(30) == 0
    served.process = None
    with sqlite3.connect(served.data_dir / "index.sqlite") as index:  # the acknowledged store is there
        found = index.execute("SELECT count(*) FROM instance WHERE sop_uid = ?", (ds.SOPInstanceUID,))
        assert found.fetchone() == (1,)


def test_a_request_that_does_not_finish_within_the_bound_is_cut_and_the_service_exits_0(
    tmp_path: Path,
) -> None:
    served = Served(tmp_path / "data", {"DICOM_SHUTDOWN_SECONDS": "1"}, admin=False).start()
    started, release = threading.Event(), threading.Event()
    body = slow_body(data.part10(data.instance()), started, 30, release)
    thread, outcome = store_in_thread(served, body)
    assert started.wait(30)
    time.sleep(0.5)
    since = time.monotonic()
    assert served.terminate(timeout=20) == 0
    assert time.monotonic() - since < 10
    release.set()
    thread.join(60)
    answer = outcome.get("answer")  # cut: never acknowledged, and the client may retry
    assert "error" in outcome or (
        isinstance(answer, requests.Response)
        and answer.status_code == 503
        and answer.headers["Retry-After"].isdigit()
    ), outcome
    assert "Traceback" not in served.log.read_text()
