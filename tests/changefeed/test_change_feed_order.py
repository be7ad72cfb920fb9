"""The change feed in commit order: a reader paging by sequence while several writers store on PostgreSQL
never skips an entry (a sequence number handed out before a later one commits would be skipped for ever)."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from pydicom.uid import generate_uid

from dicom_service.changefeed.repository import changes
from dicom_service.kernel import instance as reading
from dicom_service.kernel.behaviour import behaviour_of_major
from dicom_service.storage.database import Database
from dicom_service.storage.service import utc_now
from dicom_service.store.repository import add
from tests.engines import Engines
from tests.service import data

WRITERS, STORES = 4, 60


def test_a_reader_paging_by_sequence_during_concurrent_stores_misses_no_entry(
    engines: Engines, tmp_path: Path
) -> None:
    index = Database(engines.postgres.new_database(), utc_now())
    path = tmp_path / "one.dcm"
    path.write_bytes(data.part10(data.instance()))
    template = reading.read(str(path), behaviour_of_major(2))
    writing = threading.Barrier(WRITERS + 1)
    failures: list[BaseException] = []

    def writer() -> None:
        writing.wait()
        try:
            for _ in range(STORES):  # each instance in its own study: no row lock orders the writers
                item = dataclasses.replace(template, study_uid=generate_uid(), sop_uid=generate_uid())
                add(index, "Microsoft.Default", item, "blob", 1, utc_now())
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        read: list[int] = []
        writing.wait()
        while True:  # a client of the change feed: the next page after the last sequence it saw
            done = not any(thread.is_alive() for thread in threads)
            page = changes(index, after_sequence=read[-1] if read else 0, limit=10)
            read += [change.sequence for change in page]
            if done and not page:
                break
        for thread in threads:
            thread.join()
        assert failures == []
        every = [change.sequence for change in changes(index, limit=WRITERS * STORES + 1)]
        assert len(every) == WRITERS * STORES
        assert read == every  # nothing skipped, nothing twice, in order
    finally:
        index.close()
