"""The SQLite index's lock between processes: one writer at a time, a bounded wait, then SQLite decides."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from dicom_service.storage.write_lock import WriteLock


def test_a_second_writer_waits_for_the_first_then_goes_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "index.sqlite.write-lock")
    first, second = WriteLock(path, 30), WriteLock(path, 30)  # two open files: as two processes
    entered = threading.Event()

    def write() -> None:
        with second:
            entered.set()

    with first:
        writer = threading.Thread(target=write)
        writer.start()
        assert not entered.wait(0.2)
        released = time.monotonic()
    assert entered.wait(5)
    assert time.monotonic() - released < 0.1  # polled at most 2 ms apart, not SQLite's up to 100 ms
    writer.join()
    first.close()
    second.close()


def test_past_the_index_timeout_the_writer_goes_on_without_it(tmp_path: Path) -> None:
    path = str(tmp_path / "index.sqlite.write-lock")
    first, second = WriteLock(path, 30), WriteLock(path, 0.1)
    with first:
        started = time.monotonic()
        with second:
            assert not second.held
        assert 0.1 <= time.monotonic() - started < 2
    with second:
        assert second.held
    first.close()
    second.close()
