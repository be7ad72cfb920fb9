"""A worker's hold on the operation it runs: a heartbeat renewed by a small thread of its own.

Why a thread and not the job's progress reports: a job may go long between two reports (one large study
exported or rewritten, a slow destination), and a lease renewed only by progress would then run out while the
job still runs, letting a sibling start the same operation. The thread renews every third of the lease, so two
renewals may fail (a database restart, a network blip) before anyone may take over; it sets `lost` when the
row says another owner holds it, or when it could not renew for a whole lease (a sibling may have taken over
meanwhile). The job notices `lost` at its next progress report and stops there.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

from dicom_service.operations import repository as records

if TYPE_CHECKING:
    from dicom_service.storage.database import Database

log = logging.getLogger("dicom_service.operations")


class Lease:
    def __init__(self, index: Database, op_id: str, owner: str, seconds: float) -> None:
        self.owner = owner
        self.lost = threading.Event()
        self._index, self._op_id, self._seconds = index, op_id, seconds
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{op_id[:8]}", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._done.set()
        self._thread.join()

    def _renew(self) -> None:
        from dicom_service.storage.service import utc_now

        renewed = time.monotonic()
        while not self._done.wait(self._seconds / 3):
            try:
                held = records.renew(self._index, self._op_id, self.owner, utc_now())
            except Exception:  # the database is away for a moment; the next renewal may succeed
                log.warning("renewing the lease of operation %s failed", self._op_id, exc_info=True)
                held = time.monotonic() - renewed < self._seconds
            else:
                renewed = time.monotonic()
            if not held:
                self.lost.set()
                return
