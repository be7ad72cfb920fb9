"""Operations run once when several processes share the index: a claim carries an owner and a heartbeat
(lease), a live owner keeps its operation, a silent one loses it to a sibling, and a graceful stop hands the
operation back at once. Two workers here stand for two service processes: each has its own `DicomService`
(its own engine and connection pool) over the same database."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from dicom_service.operations import operation as ops
from dicom_service.operations import repository as records
from dicom_service.operations.operation import Operation
from dicom_service.operations.worker import Job, OperationWorker, Outcome, Progress
from dicom_service.settings import from_environment
from dicom_service.storage.operations_schema import operation as table
from dicom_service.storage.service import DicomService, timestamp, utc_now
from tests.engines import Engines

PROBE = "probe"  # the operation type of these tests; its job is given by each test


@pytest.fixture(params=["sqlite", "postgresql"])
def environment(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """A new empty index (SQLite file or PostgreSQL database); blobs in a folder (the jobs use none)."""
    env = {"DATA_DIR": str(tmp_path / "data")}
    if request.param == "postgresql":
        engines: Engines = request.getfixturevalue("engines")
        env["DICOM_INDEX_URL"] = engines.postgres.new_database()
    return env


@pytest.fixture
def postgresql(engines: Engines, tmp_path: Path) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path / "data"), "DICOM_INDEX_URL": engines.postgres.new_database()}


@dataclass
class Processes:
    """Service-like processes over one index: each opened `DicomService` and its worker, closed at the end."""

    environment: dict[str, str]
    services: list[DicomService] = field(default_factory=list)
    workers: list[OperationWorker] = field(default_factory=list)

    def open(self) -> DicomService:
        service = DicomService.from_settings(from_environment(self.environment))
        self.services.append(service)
        return service

    def worker(self, job: Job, lease: float, start: bool = True) -> OperationWorker:
        worker = OperationWorker(self.open(), {PROBE: job}, poll_seconds=0.05, lease_seconds=lease)
        self.workers.append(worker)
        if start:
            worker.start()
        return worker

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        for service in self.services:
            service.close()


@pytest.fixture
def processes(environment: dict[str, str]) -> Iterator[Processes]:
    opened = Processes(environment)
    try:
        yield opened
    finally:
        opened.close()


def new_operation(service: DicomService) -> str:
    return records.start(service.index, PROBE, "Microsoft.Default", {}, [], utc_now(), exclusive=False)


def row(service: DicomService, op_id: str) -> Any:
    with service.index.engine.connect() as c:
        return c.execute(select(table).where(table.c.id == op_id)).one()


def until(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not reached within {seconds} s"
        time.sleep(0.02)


def ended(service: DicomService, op_id: str) -> bool:
    return str(row(service, op_id).status) not in ops.ACTIVE


def test_two_workers_on_one_postgresql_never_run_the_same_operation(postgresql: dict[str, str]) -> None:
    processes = Processes(postgresql)
    lock = threading.Lock()
    running: set[str] = set()
    runs: list[tuple[str, int]] = []  # (operation, which service ran it)
    overlaps: list[str] = []

    def job(service: DicomService, op: Operation, progress: Progress) -> Outcome:
        with lock:
            if op.id in running:
                overlaps.append(op.id)
            running.add(op.id)
            runs.append((op.id, id(service)))
        for step in range(3):  # some work, reported as a job does
            time.sleep(0.02)
            progress(step * 30, step)
        with lock:
            running.discard(op.id)
        return Outcome(ops.SUCCEEDED)

    try:
        first = processes.open()
        created = [new_operation(first) for _ in range(20)]
        processes.worker(job, lease=5)
        processes.worker(job, lease=5)
        until(lambda: all(ended(first, op_id) for op_id in created))
        assert overlaps == []
        assert sorted(op_id for op_id, _ in runs) == sorted(created)  # each once
        assert {row(first, op_id).status for op_id in created} == {ops.SUCCEEDED}
        assert {row(first, op_id).attempts for op_id in created} == {1}
        assert len({ran_by for _, ran_by in runs}) == 2  # both workers took part
    finally:
        processes.close()


def test_a_stale_lease_is_taken_over_and_resumes_from_its_checkpoint(processes: Processes) -> None:
    seen: list[Any] = []

    def job(service: DicomService, op: Operation, progress: Progress) -> Outcome:
        seen.append(op.checkpoint)
        return Outcome(ops.SUCCEEDED)

    service = processes.open()
    op_id = new_operation(service)
    silent_since = timestamp_seconds_ago(3)  # the owner's process died 3 s ago; the lease is 1 s
    with service.index.write() as c:
        c.execute(
            update(table)
            .where(table.c.id == op_id)
            .values(status=ops.RUNNING, owner="gone/1/x", heartbeat=silent_since, attempts=1, checkpoint="7")
        )
    processes.worker(job, lease=1)
    until(lambda: ended(service, op_id))
    taken = row(service, op_id)
    assert taken.status == ops.SUCCEEDED and taken.attempts == 2 and taken.owner is None
    assert seen == [7]


def test_a_live_siblings_operation_is_not_taken_when_another_process_starts(processes: Processes) -> None:
    lease = 0.6
    started, finish, entered_again = threading.Event(), threading.Event(), threading.Event()
    entries: list[int] = []

    def job(service: DicomService, op: Operation, progress: Progress) -> Outcome:
        entries.append(id(service))
        (entered_again if started.is_set() else started).set()
        finish.wait(30)  # long work without any progress report: only the heartbeat keeps the lease
        return Outcome(ops.SUCCEEDED)

    service = processes.open()
    op_id = new_operation(service)
    processes.worker(job, lease=lease)
    assert started.wait(10)
    processes.worker(job, lease=lease)  # a sibling starts while the first runs the operation
    # Five leases pass: the first's heartbeat keeps the operation its own all along.
    assert not entered_again.wait(5 * lease)
    owner = row(service, op_id).owner
    assert owner == processes.workers[0].owner and row(service, op_id).status == ops.RUNNING
    finish.set()
    until(lambda: ended(service, op_id))
    assert row(service, op_id).status == ops.SUCCEEDED and row(service, op_id).attempts == 1
    assert len(entries) == 1


def test_a_graceful_stop_hands_the_operation_back_at_once(processes: Processes) -> None:
    reported = threading.Event()
    seen: list[Any] = []

    def job(service: DicomService, op: Operation, progress: Progress) -> Outcome:
        seen.append(op.checkpoint)
        if op.checkpoint is None:
            while True:  # until the stop interrupts it at a progress report
                progress(40, "half")
                reported.set()
                time.sleep(0.02)
        return Outcome(ops.SUCCEEDED)

    service = processes.open()
    op_id = new_operation(service)
    first = processes.worker(job, lease=300)  # a lease that never runs out during the test
    assert reported.wait(10)
    first.stop()
    handed_back = row(service, op_id)
    assert handed_back.status == ops.NOT_STARTED and handed_back.owner is None
    assert handed_back.attempts == 0 and handed_back.checkpoint == '"half"'
    processes.worker(job, lease=300)  # the next process takes it without waiting for any lease
    until(lambda: ended(service, op_id), seconds=10)
    assert row(service, op_id).status == ops.SUCCEEDED and seen == [None, "half"]


def test_a_worker_that_lost_its_lease_stops_without_writing(processes: Processes) -> None:
    reported, stopped = threading.Event(), threading.Event()

    def job(service: DicomService, op: Operation, progress: Progress) -> Outcome:
        try:
            while True:
                progress(10, "mine")
                reported.set()
                time.sleep(0.02)
        finally:
            stopped.set()

    service = processes.open()
    op_id = new_operation(service)
    processes.worker(job, lease=300)
    assert reported.wait(10)
    with service.index.write() as c:  # a sibling took the operation over (this worker seemed silent)
        c.execute(
            update(table)
            .where(table.c.id == op_id)
            .values(owner="sibling/2/y", heartbeat=utc_now(), percent=55, checkpoint='"theirs"')
        )
    assert stopped.wait(10)
    taken = row(service, op_id)
    assert (taken.status, taken.owner, taken.percent, taken.checkpoint) == (
        ops.RUNNING,
        "sibling/2/y",
        55,
        '"theirs"',
    )


def test_an_operation_taken_over_too_often_ends_failed_with_a_reason(processes: Processes) -> None:
    service = processes.open()
    op_id = new_operation(service)
    with service.index.write() as c:
        c.execute(
            update(table)
            .where(table.c.id == op_id)
            .values(status=ops.RUNNING, owner="gone/1/x", heartbeat=timestamp_seconds_ago(5), attempts=3)
        )
    processes.worker(lambda *_: pytest.fail("an operation started too often ran again"), lease=1)
    until(lambda: ended(service, op_id))
    failed = row(service, op_id)
    assert failed.status == ops.FAILED and "interrupted 3 times" in failed.results


def timestamp_seconds_ago(seconds: float) -> str:
    return timestamp(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds))
