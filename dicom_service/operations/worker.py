"""The worker that runs long-running operations inside the service process, one at a time, in a thread.

It claims the oldest claimable operation under this process's owner token, runs its job while a `Lease`
keeps the claim alive, and records the outcome. A job reports progress with a checkpoint; a run that takes
over (after a crash, in this or another process) continues from the last checkpoint, so jobs are written to
be repeatable. Stopping the service interrupts the job at its next progress report and hands the operation
back (`notStarted`), so the next claim takes it at once. A worker that finds it lost its lease (a sibling
took the operation over) stops the job at its next progress report and writes nothing more.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dicom_service.operations import operation as ops
from dicom_service.operations import repository as records
from dicom_service.operations.background import Background
from dicom_service.operations.lease import Lease
from dicom_service.operations.operation import Operation
from dicom_service.storage.faults import engine_of, first_line

if TYPE_CHECKING:
    from dicom_service.storage.service import DicomService

log = logging.getLogger("dicom_service.operations")


class Stopping(Exception):
    """The service is shutting down; the operation is handed back and resumes from its checkpoint."""


class LeaseLost(Exception):
    """Another process took the operation over; this run stops without writing."""


@dataclass(frozen=True)
class Outcome:
    status: str  # succeeded or failed
    results: dict[str, Any] | None = None


class Progress:
    """A job's progress report: percent complete and the checkpoint a resumed run starts from."""

    def __init__(self, service: DicomService, op: Operation, lease: Lease, stop: threading.Event) -> None:
        self._service, self._op, self._lease, self._stop = service, op, lease, stop

    def __call__(self, percent: int, checkpoint: Any) -> None:
        from dicom_service.storage.service import utc_now

        if self._lease.lost.is_set():
            raise LeaseLost()
        index, op_id, owner = self._service.index, self._op.id, self._lease.owner
        if not records.progress(index, op_id, owner, percent, checkpoint, utc_now()):
            raise LeaseLost()
        if self._stop.is_set():
            raise Stopping()


Job = Callable[["DicomService", Operation, Progress], Outcome]


def owner_token() -> str:
    """This worker's name in the `owner` column: host and PID for people reading the table, and a random
    part so that a restarted process with a reused PID is never taken for its predecessor."""
    return f"{socket.gethostname()[:32]}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


# An idle worker polls the index at most every IDLE_POLL_SECONDS (an operation a sibling process adds waits
# that long), and at its quick pace for WOKEN_SECONDS after one was added in this process.
IDLE_POLL_SECONDS = 1.0
WOKEN_SECONDS = 3.0


class OperationWorker(Background):
    def __init__(
        self,
        service: DicomService,
        jobs: Mapping[str, Job],
        poll_seconds: float = 0.2,
        lease_seconds: float | None = None,
    ) -> None:
        self._service = service
        self._jobs = jobs
        self._poll = poll_seconds
        self._lease_seconds = lease_seconds or service.settings.operation_lease_seconds
        self.owner = owner_token()
        super().__init__("operations")

    def _run(self) -> None:
        from dicom_service.storage.service import timestamp

        idle = 0.0  # the wait between two empty polls: it grows while nothing comes
        while not self._stop.is_set():
            moment = dt.datetime.now(dt.UTC)
            stale_before = timestamp(moment - dt.timedelta(seconds=self._lease_seconds))
            try:
                op = records.claim_next(self._service.index, self.owner, timestamp(moment), stale_before)
            except Exception as exc:  # the database is unavailable for a moment: try again later
                if engine_of(exc) is None:
                    log.exception("claiming an operation failed")
                else:  # not a bug: one line, no traceback
                    log.warning("claiming an operation failed: %s", first_line(exc))
                op = None
            if op is None:
                idle = min(idle * 2 or self._poll, IDLE_POLL_SECONDS)
                self._stop.wait(self._poll if ops.woken_within(WOKEN_SECONDS) else idle)
                continue
            idle = 0.0
            with Lease(self._service.index, op.id, self.owner, self._lease_seconds) as lease:
                self._execute(op, lease)

    def _execute(self, op: Operation, lease: Lease) -> None:
        from dicom_service.storage.service import utc_now

        index = self._service.index
        job = self._jobs.get(op.type)
        try:
            if job is None:
                raise RuntimeError(f"no job runs operations of type {op.type}")
            outcome = job(self._service, op, Progress(self._service, op, lease, self._stop))
        except Stopping:
            self._record(records.release, index, op.id, self.owner, utc_now())
            return
        except LeaseLost:
            log.warning("operation %s: another process took it over; this run stopped", op.id)
            return
        except Exception as exc:
            log.exception("operation %s (%s) failed", op.id, op.type)
            outcome = Outcome(ops.FAILED, {"errors": [f"The operation failed: {type(exc).__name__}."]})
        if not self._record(
            records.finish, index, op.id, self.owner, outcome.status, outcome.results, utc_now()
        ):
            log.warning("operation %s: another process took it over; this run's outcome is dropped", op.id)

    def _record(self, write: Callable[..., bool], *args: Any) -> bool:
        """A final write; when the database is away, the worker goes on and the lease runs out, so the
        operation is taken over and its job repeated from the checkpoint (jobs are repeatable)."""
        try:
            return write(*args)
        except Exception:
            log.exception("recording the end of operation %s failed", args[1])
            return True  # not a lost lease: nothing more to say
