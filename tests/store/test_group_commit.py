"""SQLite: single-instance stores of one process that wait for the index's write lock together are indexed
in one transaction; a duplicate among them, or an instance whose rows fail, fails alone."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from dicom_service.kernel import instance as reading
from dicom_service.kernel.behaviour import behaviour_of_major
from dicom_service.kernel.instance import Instance
from dicom_service.retrieve.repository import instances
from dicom_service.settings import from_environment
from dicom_service.storage.service import DicomService
from dicom_service.store import group_commit
from dicom_service.store.repository import Rows
from tests.service import data

PARTITION = "Microsoft.Default"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[DicomService]:
    opened = DicomService.from_settings(from_environment({"DATA_DIR": str(tmp_path / "data")}))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def transactions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many instances each write transaction of the group commit indexed, in order."""
    written: list[int] = []
    original = group_commit.add_rows

    def counted(db: Any, partition: str, take: Callable[[], list[Any]], now: str) -> list[bool]:
        def counted_take() -> list[Any]:
            rows = take()
            written.append(len(rows))
            return rows

        return original(db, partition, counted_take, now)

    monkeypatch.setattr(group_commit, "add_rows", counted)
    return written


def study(service: DicomService, count: int) -> list[Instance]:
    items = []
    for number, ds in enumerate(data.study(count)):
        path = service.tmp / f"{number}.dcm"
        path.write_bytes(data.part10(ds))
        items.append(reading.read(str(path), behaviour_of_major(2)))
    return items


def stored_together(service: DicomService, items: list[Instance]) -> list[Future[bool]]:
    """Each instance added from its own thread while the test holds the turn to write, released once every
    one of them waits: any of them may take the turn."""
    group = group_commit.of(service.index)
    pool = ThreadPoolExecutor(len(items))
    with group._turn:
        futures = [pool.submit(group.add, PARTITION, (item, f"key-{n}", 100)) for n, item in enumerate(items)]
        deadline = time.monotonic() + 10
        while len(group._waiting) < len(items) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(group._waiting) == len(items)
    pool.shutdown()
    return futures


def indexed(service: DicomService, items: list[Instance]) -> set[str]:
    return {i.sop_uid for i in instances(service.index, PARTITION, items[0].study_uid)}


def test_stores_that_wait_together_share_one_transaction(
    service: DicomService, transactions: list[int]
) -> None:
    items = study(service, 4)

    futures = stored_together(service, items)

    assert [f.result() for f in futures] == [True] * 4
    assert transactions == [4]
    assert indexed(service, items) == {item.sop_uid for item in items}


def test_the_store_that_writes_is_in_its_own_transaction_however_many_queued_before_it(
    service: DicomService, transactions: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stores queued first whose threads have not yet asked for the turn; a shared transaction
    holds at most two instances."""
    monkeypatch.setattr(group_commit, "LARGEST", 2)
    first, second, mine = study(service, 3)
    group = group_commit.of(service.index)
    queued = [
        group_commit._Waiting(PARTITION, Rows.of(item, f"key-{n}", 100, "now"))
        for n, item in enumerate([first, second])
    ]
    group._waiting.extend(queued)

    assert group.add(PARTITION, (mine, "key-mine", 100)) is True

    assert transactions == [2]
    assert [w.added for w in queued] == [True, None]  # the second is left to its own thread
    assert indexed(service, [mine]) == {first.sop_uid, mine.sop_uid}


def test_a_duplicate_among_them_fails_alone(service: DicomService, transactions: list[int]) -> None:
    first, second = study(service, 2)

    futures = stored_together(service, [first, second, first])

    assert sorted(f.result() for f in futures) == [False, True, True]
    assert transactions == [3]
    assert indexed(service, [first]) == {first.sop_uid, second.sop_uid}


def test_an_instance_whose_rows_fail_fails_alone_and_the_others_are_indexed(
    service: DicomService, transactions: list[int]
) -> None:
    items = study(service, 3)
    broken = dataclasses.replace(items[1], frame_index=object())  # type: ignore[arg-type]  # cannot be bound

    futures = stored_together(service, [items[0], broken, items[2]])

    assert futures[0].result() and futures[2].result()
    with pytest.raises(Exception, match="parameter"):
        futures[1].result()
    assert transactions == [3, 1, 1, 1]  # the shared one failed: each again alone
    assert indexed(service, items) == {items[0].sop_uid, items[2].sop_uid}
