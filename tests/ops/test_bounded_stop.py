"""SIGTERM ends the whole service within DICOM_SHUTDOWN_SECONDS + APPLICATION_STOP_SECONDS whatever its
workers are doing (starting on a database that does not answer, or answering a request that waits on
it), naming in one log line each worker it had to kill; readiness answers 503 from the signal on,
liveness 200 until the process ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests

from dicom_service.ops.bounded_stop import APPLICATION_STOP_SECONDS
from dicom_service.storage.dialect import MIGRATION_LOCK
from tests.engines import Engines, free_port
from tests.load.scenario import ACCEPT
from tests.load.served import Served
from tests.load.stop_bound import children, running
from tests.ops.hanging_app import STARTING
from tests.ops.test_graceful_stop import slow_body, store_in_thread
from tests.service import data

pytestmark = pytest.mark.e2e  # starts the service as its own processes

SHUTDOWN_SECONDS = 2
BOUND = SHUTDOWN_SECONDS + APPLICATION_STOP_SECONDS
SLACK = 5  # a busy machine's delay in noticing the processes are gone


def worker(pid: int) -> bool:
    """Whether `pid` is a running service worker (a spawned process, not multiprocessing's tracker)."""
    try:
        return running(pid) and b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def wait_for_workers(parent: int, count: int, seconds: float = 60) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        workers = {p for p in children(parent) if worker(p)}
        if len(workers) >= count:
            return workers
        time.sleep(0.1)
    raise AssertionError(f"{count} workers did not start within {seconds:g} s")


def sigterm_and_time(served: Served, tree: set[int]) -> tuple[int, float]:
    """SIGTERM to the service; its exit code and the seconds until none of `tree` runs."""
    assert served.process is not None
    since = time.monotonic()
    served.process.send_signal(signal.SIGTERM)
    code = served.process.wait(timeout=BOUND + 60)
    while any(running(p) for p in tree) and time.monotonic() - since < BOUND + 60:
        time.sleep(0.05)
    served.process = None
    return code, time.monotonic() - since


def starting(served: Served) -> set[int]:
    """The processes that logged the start of their application."""
    return {
        int(line["pid"])
        for line in served.log_lines()
        if str(line.get("message", "")).startswith("Waiting for application startup") and "pid" in line
    }


def serving(served: Served) -> set[int]:
    """The processes whose application has started."""
    return {
        int(line["pid"])
        for line in served.log_lines()
        if line.get("message") == "Application startup complete." and "pid" in line
    }


def readiness_once_stopping(served: Served) -> requests.Response:
    """/health/ready once it no longer answers 200, or after 5 s: the signal reaches the process first."""
    deadline = time.monotonic() + 5
    ready = requests.get(f"{served.admin}/health/ready", timeout=10)
    while ready.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
        ready = requests.get(f"{served.admin}/health/ready", timeout=10)
    return ready


def killed_lines(served: Served) -> list[str]:
    return [
        str(line.get("message"))
        for line in served.log_lines()
        if line.get("logger") == "dicom_service.serving" and "killed" in str(line.get("message"))
    ]


@pytest.fixture
def migration_lock(engines: Engines) -> Iterator[tuple[dict[str, str], threading.Event]]:
    """The service's settings on a new database; setting the event makes a connection hold its migration
    lock (as another process migrating would), so a process starting on it waits on its database."""
    storage = {"DICOM_INDEX_URL": engines.postgres.new_database()}
    take = threading.Event()
    done = threading.Event()
    held = threading.Event()

    def hold() -> None:
        take.wait()
        if done.is_set():
            return
        with psycopg.connect(storage["DICOM_INDEX_URL"]) as connection:
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            held.set()
            done.wait(BOUND + 120)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        yield storage, take
    finally:
        done.set()
        take.set()
        thread.join(30)


def test_workers_that_hang_at_start_up_are_killed_at_the_bound(
    tmp_path: Path, migration_lock: tuple[dict[str, str], threading.Event]
) -> None:
    storage, take_lock = migration_lock
    env = {**storage, "WORKERS": "2", "DICOM_SHUTDOWN_SECONDS": str(SHUTDOWN_SECONDS)}
    served = Served(tmp_path / "data", env).start()
    try:
        assert served.process is not None
        parent = served.process.pid
        first = wait_for_workers(parent, 2)
        take_lock.set()
        time.sleep(1)
        for pid in first:  # both die; their replacements start and wait on the database
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(running(pid) for pid in first) and time.monotonic() < deadline:
            time.sleep(0.05)  # a SIGKILL takes effect a moment later: not a replacement yet
        replacements = wait_for_workers(parent, 2) - first
        assert len(replacements) == 2
        deadline = time.monotonic() + 60
        while not replacements <= starting(served) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert replacements <= starting(served)
        time.sleep(1)  # waiting on the database
        assert requests.get(f"{served.admin}/health/live", timeout=10).status_code == 200
        code, seconds = sigterm_and_time(served, {parent, *children(parent)})
        assert seconds < BOUND + SLACK, f"{seconds:.1f} s"
        assert code == 1  # not a clean stop: workers were killed
        said = killed_lines(served)
        assert len(said) == 2, said
        assert all("it was starting" in line for line in said), said
        assert {int(line.split()[1]) for line in said} == replacements
    finally:
        served.stop()


def test_a_worker_whose_request_waits_on_the_database_ends_within_the_bound(
    tmp_path: Path, engines: Engines
) -> None:
    storage = {"DICOM_INDEX_URL": engines.postgres.new_database(), "DICOM_INDEX_TIMEOUT_SECONDS": "120"}
    env = {**storage, "WORKERS": "2", "DICOM_SHUTDOWN_SECONDS": str(SHUTDOWN_SECONDS)}
    served = Served(tmp_path / "data", env).start()
    try:
        assert served.process is not None
        parent = served.process.pid
        wait_for_workers(parent, 2)
        tree = children(parent)
        outcome: dict[str, object] = {}
        with psycopg.connect(storage["DICOM_INDEX_URL"]) as blocker:
            blocker.execute("LOCK TABLE study IN ACCESS EXCLUSIVE MODE")  # the search waits for it

            def search() -> None:
                try:
                    outcome["answer"] = requests.get(f"{served.root}/v2/studies", headers=ACCEPT, timeout=120)
                except requests.RequestException as exc:
                    outcome["error"] = exc

            client = threading.Thread(target=search)
            client.start()
            time.sleep(2)  # the search is in a worker's hands, waiting on the lock
            assert "answer" not in outcome
            since = time.monotonic()
            served.process.send_signal(signal.SIGTERM)
            ready = readiness_once_stopping(served)
            assert ready.status_code == 503 and ready.json()["status"] == "stopping"
            assert ready.headers["Retry-After"].isdigit()
            assert requests.get(f"{served.admin}/health/live", timeout=10).status_code == 200
            code = served.process.wait(timeout=BOUND + 60)
            while any(running(p) for p in tree) and time.monotonic() - since < BOUND + 60:
                time.sleep(0.05)
            seconds = time.monotonic() - since
            served.process = None
        client.join(60)
        assert seconds < BOUND + SLACK, f"{seconds:.1f} s"
        answer = outcome.get("answer")  # never a 500: a retryable 503, or the connection closed
        assert "error" in outcome or (isinstance(answer, requests.Response) and answer.status_code == 503), (
            outcome
        )
        said = killed_lines(served)
        assert code == (1 if said else 0), said
        assert all("it was draining" in line for line in said), said
    finally:
        served.stop()


def test_readiness_is_503_from_sigterm_while_a_request_drains_and_liveness_stays_200(tmp_path: Path) -> None:
    served = Served(tmp_path / "data", {"DICOM_SHUTDOWN_SECONDS": "30"}).start()  # one process
    try:
        assert requests.get(f"{served.admin}/health/ready", timeout=10).status_code == 200
        started, release = threading.Event(), threading.Event()
        body = slow_body(data.part10(data.instance()), started, 60, release)
        thread, outcome = store_in_thread(served, body)
        assert started.wait(30)
        time.sleep(0.5)
        assert served.process is not None
        served.process.send_signal(signal.SIGTERM)
        ready = readiness_once_stopping(served)
        assert ready.status_code == 503 and ready.json()["status"] == "stopping"
        for _ in range(5):  # still draining: alive
            assert requests.get(f"{served.admin}/health/live", timeout=10).json() == {"status": "live"}
            time.sleep(0.2)
        assert served.process.poll() is None
        release.set()
        thread.join(60)
        answer = outcome.get("answer")
        assert isinstance(answer, requests.Response) and answer.status_code == 200, outcome
        assert served.process.wait(30) == 0
        served.process = None
        with pytest.raises(requests.ConnectionError):  # gone with the process
            requests.get(f"{served.admin}/health/live", timeout=5)
    finally:
        served.stop()


def test_a_worker_that_dies_while_postgresql_is_stopped_is_started_again_once_it_is_back(
    tmp_path: Path, engines: Engines
) -> None:
    env = {"DICOM_INDEX_URL": engines.postgres.new_database(), "WORKERS": "2"}
    served = Served(tmp_path / "data", env).start()
    try:
        assert served.process is not None
        parent = served.process.pid
        first = wait_for_workers(parent, 2)
        deadline = time.monotonic() + 60
        while not first <= serving(served) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # the supervisor has seen them serve (before, a failed start-up stops the service)
        engines.postgres.pause()
        try:
            os.kill(min(first), signal.SIGKILL)
            deadline = time.monotonic() + 60
            while not any("failed to start" in str(line.get("message")) for line in served.log_lines()):
                assert time.monotonic() < deadline, "no replacement tried to start"
                time.sleep(0.2)
            assert served.process.poll() is None  # the service goes on, with its other worker
            assert max(first) in wait_for_workers(parent, 1)
        finally:
            engines.postgres.resume()
        workers = wait_for_workers(parent, 2, seconds=90) - first
        assert len(workers) == 1
        deadline = time.monotonic() + 60
        while not workers <= serving(served) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert workers <= serving(served)
        assert requests.get(f"{served.root}/v2/studies", headers=ACCEPT, timeout=30).status_code == 204
        assert served.terminate() == 0
    finally:
        served.stop()


ONE_PROCESS = """
import sys
import uvicorn
from dicom_service.ops.bounded_stop import BoundedServer, StopState
config = uvicorn.Config("tests.ops.hanging_app:app", host="127.0.0.1", port=int(sys.argv[1]), log_config=None)
BoundedServer(config=config, state=StopState(bound_seconds=2)).run()
"""


def test_one_process_whose_start_up_hangs_ends_itself_at_the_bound(tmp_path: Path) -> None:
    log = tmp_path / "log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", ONE_PROCESS, str(free_port())], stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60  # a loaded machine has taken over 3 s to import
        while STARTING not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.05)
        assert STARTING in log.read_text()
        time.sleep(0.5)  # well inside its start-up
        assert process.poll() is None
        since = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 1
        assert time.monotonic() - since < 2 + SLACK
        assert "ended 2 s after SIGTERM" in log.read_text() and "it was starting" in log.read_text()
    finally:
        process.kill()
        process.wait()


def test_sigterm_during_a_rolling_restart_stops_the_service_at_once(tmp_path: Path) -> None:
    env = {"WORKERS": "2", "DICOM_SHUTDOWN_SECONDS": str(SHUTDOWN_SECONDS)}
    served = Served(tmp_path / "data", env, admin=False).start()
    try:
        assert served.process is not None
        parent = served.process.pid
        wait_for_workers(parent, 2)
        served.process.send_signal(signal.SIGHUP)  # a new worker starts, to replace the first
        deadline = time.monotonic() + 30
        while len({p for p in children(parent) if worker(p)}) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        code, seconds = sigterm_and_time(served, {parent, *children(parent)})
        assert seconds < BOUND + SLACK, f"{seconds:.1f} s"
        assert code == 0
        assert not killed_lines(served) or all("it was starting" in line for line in killed_lines(served))
    finally:
        served.stop()
