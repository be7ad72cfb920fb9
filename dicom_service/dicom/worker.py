"""The worker that runs long-running operations inside the service process, one at a time, in a thread.

It claims the oldest waiting operation, runs its job and records the outcome. A job reports progress with a
checkpoint; a resumed run (after a restart) continues from the last checkpoint, so jobs are written to be
repeatable. Stopping the service interrupts the job at its next progress report and leaves the operation
`running`, which the next start resumes (see `storage.operations.recover_interrupted`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dicom_service.dicom import operations as ops
from dicom_service.dicom.operations import Operation
from dicom_service.dicom.storage import operations as records

if TYPE_CHECKING:
    from dicom_service.dicom.service import DicomService

log = logging.getLogger("dicom_service.operations")


class Stopping(Exception):
    """The service is shutting down; the operation stays `running` and resumes at the next start."""


@dataclass(frozen=True)
class Outcome:
    status: str  # succeeded or failed
    results: dict[str, Any] | None = None


class Progress:
    """A job's progress report: percent complete and the checkpoint a resumed run starts from."""

    def __init__(self, service: DicomService, op: Operation, stop: threading.Event) -> None:
        self._service, self._op, self._stop = service, op, stop

    def __call__(self, percent: int, checkpoint: Any) -> None:
        from dicom_service.dicom.service import utc_now

        records.progress(self._service.index, self._op.id, percent, checkpoint, utc_now())
        if self._stop.is_set():
            raise Stopping()


Job = Callable[["DicomService", Operation, Progress], Outcome]


class OperationWorker:
    def __init__(self, service: DicomService, jobs: Mapping[str, Job], poll_seconds: float = 0.2) -> None:
        self._service = service
        self._jobs = jobs
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="operations", daemon=True)

    def start(self) -> None:
        from dicom_service.dicom.service import utc_now

        records.recover_interrupted(self._service.index, utc_now())
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        from dicom_service.dicom.service import utc_now

        while not self._stop.is_set():
            try:
                op = records.claim_next(self._service.index, utc_now())
            except Exception:  # the database is unavailable for a moment: try again later
                log.exception("claiming an operation failed")
                op = None
            if op is None:
                self._stop.wait(self._poll)
                continue
            self._execute(op)

    def _execute(self, op: Operation) -> None:
        from dicom_service.dicom.service import utc_now

        job = self._jobs.get(op.type)
        try:
            if job is None:
                raise RuntimeError(f"no job runs operations of type {op.type}")
            outcome = job(self._service, op, Progress(self._service, op, self._stop))
        except Stopping:
            return
        except Exception as exc:
            log.exception("operation %s (%s) failed", op.id, op.type)
            outcome = Outcome(ops.FAILED, {"errors": [f"The operation failed: {type(exc).__name__}."]})
        records.finish(self._service.index, op.id, outcome.status, outcome.results, utc_now())
