"""`make serve` with ADMIN_PORT: health, readiness and the metrics of every worker on one admin listener, the
request log as JSON lines, and a graceful stop that exits 0."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from dicom_service.generated import manifest
from dicom_service.ops import callers
from tests.load.served import Served

pytestmark = pytest.mark.e2e  # starts the service as its own process

SEARCH = {"Accept": "application/dicom+json"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = Path(tmp_path_factory.mktemp("admin"))
    service = Served(folder / "data", {"WORKERS": "2"}).start()
    try:
        yield service
    finally:
        service.stop()


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def scrape_until(served: Served, done: Callable[[str], bool]) -> str:
    """/metrics once `done` holds, or after 10 s: a request is counted just after its last byte is sent."""
    deadline = time.monotonic() + 10
    while True:
        text = requests.get(f"{served.admin}/metrics", timeout=10).text
        if done(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_live_and_ready_answer_on_the_admin_port_only(served: Served) -> None:
    assert requests.get(f"{served.admin}/health/live", timeout=10).json() == {"status": "live"}
    ready = requests.get(f"{served.admin}/health/ready", timeout=10)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "index": "ok", "blobs": "ok"}
    assert requests.get(f"{served.root}/health/ready", timeout=10).status_code == 404
    assert requests.get(f"{served.root}/metrics", timeout=10).status_code == 404


def test_metrics_add_up_the_requests_of_every_worker_per_version(served: Served) -> None:
    many, few = manifest.VERSIONS[-1], manifest.VERSIONS[0]  # the newest and the oldest served version
    session = requests.Session()
    for _ in range(6):  # a new connection each time: both workers answer some
        session.close()
        answer = session.get(f"{served.root}/{many.segments[0]}/studies", headers=SEARCH, timeout=10)
        assert answer.status_code == 204
    for _ in range(3):
        session.close()
        session.get(f"{served.root}/{few.segments[0]}/studies", headers=SEARCH, timeout=10)
    key = (
        ("api_version", many.name),
        ("client", "anonymous"),
        ("operation", "searchStudies"),
        ("status", "204"),
    )
    # Each worker's background work (operations, housekeeping) takes an index connection now and then: the
    # live gauge is read once every worker has handed its connections back.
    text = scrape_until(
        served,
        lambda t: (
            samples(t, "dicomweb_requests_total").get(key) == 6
            and callers.callers(t, few.name)["anonymous"] == 3
            and samples(t, "dicomweb_index_connections_in_use") == {(): 0.0}
        ),
    )
    assert samples(text, "dicomweb_requests_total")[key] == 6
    assert callers.callers(text, few.name) == {"anonymous": 3}
    durations = samples(text, "dicomweb_request_duration_seconds_count")
    assert durations[(("api_version", many.name), ("operation", "searchStudies"))] == 6
    assert samples(text, "dicomweb_ready") == {(): 1.0}
    assert samples(text, "dicomweb_operations")[(("status", "running"),)] == 0
    assert samples(text, "dicomweb_index_connections_in_use") == {(): 0.0}


def test_each_request_is_one_json_line_without_patient_data(served: Served) -> None:
    answer = requests.get(
        f"{served.root}/v2/studies?PatientID=SECRET-4711&limit=2", headers=SEARCH, timeout=10
    )
    rid = answer.headers["X-Request-Id"]
    time.sleep(0.2)
    [line] = [
        line
        for line in served.log_lines()
        if line.get("request_id") == rid and line.get("logger") == "dicom_service.access"
    ]
    assert line["operation"] == "searchStudies" and line["api_version"] == "2"
    assert line["route"] == "/v2/studies" and line["query"] == "PatientID=*&limit=2"
    assert "SECRET-4711" not in served.log.read_text()


def test_readiness_is_503_while_the_blob_store_is_gone(served: Served) -> None:
    blobs = served.data_dir / "blobs"
    moved = served.data_dir / "blobs-away"
    blobs.rename(moved)
    blobs.touch()  # a file in its place: a worker the supervisor restarts meanwhile cannot make it again
    try:
        ready = ready_until(served, 503)  # once the cached result has expired
        assert ready.status_code == 503 and ready.headers["Retry-After"].isdigit()
        assert ready.json()["index"] == "ok" and "not a folder" in ready.json()["blobs"]
    finally:
        blobs.unlink()
        moved.rename(blobs)
    assert ready_until(served, 200).status_code == 200


def ready_until(served: Served, status: int) -> requests.Response:
    """/health/ready once it answers `status`, or after 10 s (its result is kept for 2 s)."""
    deadline = time.monotonic() + 10
    while True:
        ready = requests.get(f"{served.admin}/health/ready", timeout=10)
        if ready.status_code == status or time.monotonic() > deadline:
            return ready
        time.sleep(0.2)


def test_sigterm_stops_the_service_with_status_0_and_removes_its_metrics_folder(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    service = Served(tmp_path / "data", {"TMPDIR": str(temporary)}).start()  # one process: WORKERS=1
    assert [p.name[:14] for p in temporary.iterdir()] == ["dicom-metrics-"]
    requests.get(f"{service.root}/v2/studies", headers=SEARCH, timeout=10)
    key = (("api_version", "2"), ("client", "anonymous"), ("operation", "searchStudies"), ("status", "204"))
    text = scrape_until(service, lambda t: key in samples(t, "dicomweb_requests_total"))
    assert samples(text, "dicomweb_requests_total")[key] == 1
    assert service.terminate() == 0
    assert list(temporary.iterdir()) == []
