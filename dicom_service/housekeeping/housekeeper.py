"""Housekeeping beside the operation worker, in a thread of its own: the index's planner statistics
(`storage/statistics.py`), checked at start and every two seconds, and the orphan-blob sweep
(`housekeeping/orphans.py`), now and then.

Every process sweeps, so no process has to be special; the first sweep waits a minute or two (randomly, so
that processes started together do not sweep at once), then one runs every few hours. Two sweeps at once
are harmless: both only remove what nothing references, and removing a removed blob is a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from typing import TYPE_CHECKING

from dicom_service.housekeeping import orphans
from dicom_service.operations.background import Background
from dicom_service.storage import statistics
from dicom_service.storage.faults import engine_of, first_line

if TYPE_CHECKING:
    from dicom_service.storage.service import DicomService

log = logging.getLogger("dicom_service.housekeeping")

FIRST_SWEEP_SECONDS = 60.0  # plus up to as much again
SWEEP_EVERY_SECONDS = 6 * 3600.0  # listing a large container is not free; orphans only take space


class Housekeeper(Background):
    def __init__(self, service: DicomService) -> None:
        self._service = service
        super().__init__("housekeeping")

    def _run(self) -> None:
        sweep_at = time.monotonic() + FIRST_SWEEP_SECONDS * (1 + random.random())
        delay = 0.0
        while not self._stop.wait(delay):
            delay = statistics.CHECK_SECONDS
            self._statistics()
            if time.monotonic() >= sweep_at:
                sweep_at = time.monotonic() + SWEEP_EVERY_SECONDS
                self._sweep()

    def _statistics(self) -> None:
        try:
            statistics.refresh(self._service.index)
        except Exception as exc:  # the database is away for a moment: the next check
            if engine_of(exc) is None:
                log.exception("gathering planner statistics failed")
            else:  # not a bug: one line, no traceback
                log.warning("gathering planner statistics failed: %s", first_line(exc))

    def _sweep(self) -> None:
        cutoff = dt.datetime.now(dt.UTC) - orphans.GRACE
        try:
            removed = orphans.sweep(self._service.index, self._service.blobs, cutoff)
        except Exception as exc:  # the database or the container is away for a moment: the next sweep
            if engine_of(exc) is None:
                log.exception("sweeping orphan blobs failed")
            else:  # not a bug: one line, no traceback
                log.warning("sweeping orphan blobs failed: %s", first_line(exc))
            return
        if removed:
            log.info(
                "removed %d orphan blobs (written before %s, referenced by no instance)", removed, cutoff
            )
