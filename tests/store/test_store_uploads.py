"""A store of several instances writes their files several at once. One whose upload fails fails alone
(272) and leaves no file, the others are stored; a failure of the index midway leaves no file of an
unindexed instance, nor does a rejected instance. With a folder and with Azure (Azurite), through the
concurrent upload path."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from dicom_service.kernel import instance as reading
from dicom_service.kernel.behaviour import behaviour_of_major
from dicom_service.retrieve.repository import instances
from dicom_service.storage import azure
from dicom_service.storage.blobs import BlobStore
from dicom_service.storage.service import DicomService
from dicom_service.store import stow
from tests.service import data

PARTITION = "Microsoft.Default"
LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)


@pytest.fixture
def service(opened_service: DicomService) -> DicomService:
    return opened_service


class FailingWrites:
    """The service's blob store, writing 4 files at once, whose `failing`-th write (1-based) stores the
    file and then fails, as an upload whose answer is lost does."""

    concurrent_writes = 4

    def __init__(self, store: BlobStore, failing: int) -> None:
        self.store, self.failing, self.writes = store, failing, itertools.count(1)

    def put_file(self, key: str, source: Path) -> int:
        write = next(self.writes)  # atomic: the writes run in several threads
        size = self.store.put_file(key, source)
        if write == self.failing:
            raise OSError("connection reset")
        return size

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def files(service: DicomService, count: int) -> tuple[str, list[Path]]:
    study = data.study(count)
    paths = []
    for number, ds in enumerate(study):
        path = service.tmp / f"part-{number}.dcm"
        path.write_bytes(data.part10(ds))
        paths.append(path)
    return study[0].StudyInstanceUID, paths


def blob_count(service: DicomService) -> int:
    return len(list(service.blobs.keys_older_than(LATER)))


def test_an_instance_whose_upload_fails_fails_alone_and_leaves_no_file(service: DicomService) -> None:
    study, paths = files(service, 6)
    service.blobs = FailingWrites(service.blobs, failing=3)

    outcome = stow.store_files(service, PARTITION, paths, behaviour_of_major(2), None)

    assert len(outcome.stored) == 5
    assert [item.reason for item in outcome.failed] == [reading.PROCESSING_FAILURE]
    assert len(instances(service.index, PARTITION, study)) == 5
    assert blob_count(service) == 5


def test_an_index_failure_midway_leaves_no_file_of_an_unindexed_instance(
    service: DicomService, monkeypatch: pytest.MonkeyPatch
) -> None:
    study, paths = files(service, 6)
    service.blobs = FailingWrites(service.blobs, failing=0)
    calls: list[Any] = []

    def failing(write: Any) -> Any:
        def failing_write(*args: Any) -> Any:
            calls.append(args)
            if len(calls) == 2:
                raise RuntimeError("the database went away")
            return write(*args)

        return failing_write

    # The second index write fails: on SQLite the second group of two instances, else the second instance.
    monkeypatch.setattr(stow, "GROUP", 2)
    monkeypatch.setattr(stow, "add", failing(stow.add))
    monkeypatch.setattr(stow, "add_group", failing(stow.add_group))

    outcome = stow.store_files(service, PARTITION, paths, behaviour_of_major(2), None)

    # The first write was committed before the failure: it is reported stored, the failed ones fail
    # alone (272), the later ones are stored; never an exception (a 500) hiding the committed ones.
    unindexed = 2 if service.index.dialect_name == "sqlite" else 1
    assert [item.reason for item in outcome.failed] == [272] * unindexed
    assert len(outcome.stored) == 6 - unindexed
    assert len(instances(service.index, PARTITION, study)) == 6 - unindexed
    assert blob_count(service) == 6 - unindexed


def test_rejected_instances_leave_no_file(service: DicomService) -> None:
    _, paths = files(service, 3)
    garbage = service.tmp / "garbage.dcm"
    garbage.write_bytes(b"not DICOM at all" * 100)
    service.blobs = FailingWrites(service.blobs, failing=0)

    outcome = stow.store_files(service, PARTITION, [*paths, garbage], behaviour_of_major(2), "1.2.3")

    reasons = [item.reason for item in outcome.failed]
    assert reasons == [reading.STUDY_MISMATCH] * 3 + [reading.PROCESSING_FAILURE]
    assert outcome.stored == []
    assert blob_count(service) == 0


def test_a_file_larger_than_one_put_is_stored_whole(service: DicomService) -> None:
    body = os.urandom(azure.SINGLE_PUT * 2 + 12345)  # sent in blocks, committed as one blob
    path = service.tmp / "large.dcm"
    path.write_bytes(body)
    key = service.blobs.new_key()

    assert service.blobs.put_file(key, path) == len(body)
    assert service.blobs.read(key) == body
    assert b"".join(service.blobs.stream(key)) == body


def test_duplicates_in_a_store_of_many_fail_alone(service: DicomService) -> None:
    study, paths = files(service, 5)
    uids = [reading.read(str(path), behaviour_of_major(2)).sop_uid for path in paths]
    again = service.tmp / "again.dcm"
    again.write_bytes(paths[3].read_bytes())  # the same instance twice in one request
    repeated = service.tmp / "repeated.dcm"
    repeated.write_bytes(paths[1].read_bytes())  # stored by an earlier request
    first = stow.store_files(service, PARTITION, paths[:2], behaviour_of_major(2), None)
    assert len(first.stored) == 2

    outcome = stow.store_files(service, PARTITION, [repeated, *paths[2:], again], behaviour_of_major(2), None)

    # Both fail as duplicates (45070); the others, indexed with them on SQLite in one transaction, are stored.
    assert [item.sop_uid for item in outcome.stored] == uids[2:]
    assert [(item.reason, item.sop_uid) for item in outcome.failed] == [
        (reading.DUPLICATE, uids[1]),
        (reading.DUPLICATE, uids[3]),
    ]
    assert len(instances(service.index, PARTITION, study)) == 5
    assert blob_count(service) == 5
