"""Orphan blobs: a file written by a store whose process died before its index commit is removed by the
sweep once older than the grace period; a file an instance (or its kept original) references is never
removed, nor a fresh one, which may be a sibling's store in flight. With a folder and with Azure (Azurite)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dicom_service.bulk_update import versions
from dicom_service.housekeeping import orphans
from dicom_service.kernel import instance as reading
from dicom_service.kernel.behaviour import behaviour_of_major
from dicom_service.storage.service import DicomService, utc_now
from dicom_service.store.repository import add
from tests.service import data


@pytest.fixture
def service(opened_service: DicomService) -> DicomService:
    return opened_service


def put(service: DicomService, body: bytes) -> str:
    """A file written into the blob store the way a store writes it, before its index commit."""
    path = service.tmp / "upload.dcm"
    path.write_bytes(body)
    key = service.blobs.new_key()
    service.blobs.put_file(key, path)
    return key


def exists(service: DicomService, key: str) -> bool:
    try:
        service.blobs.read(key)
    except Exception:
        return False
    return True


def test_only_old_unreferenced_blobs_are_swept(service: DicomService, tmp_path: Path) -> None:
    body = data.part10(data.instance())
    source = tmp_path / "instance.dcm"
    source.write_bytes(body)
    item = reading.read(str(source), behaviour_of_major(2))
    stored = put(service, body)
    watermark = add(service.index, "Microsoft.Default", item, stored, len(body), utc_now())
    updated = put(service, body)  # a bulk update: the instance's new file, the first kept as its original
    assert versions.replace_instance(service.index, watermark, updated, len(body), item, utc_now()) is None
    orphan = put(service, body)  # its process was killed before the index commit
    now = dt.datetime.now(dt.UTC)

    # Within the grace period nothing is touched: it may be a sibling's store about to commit.
    assert orphans.sweep(service.index, service.blobs, now - orphans.GRACE) == 0
    assert exists(service, orphan)

    # Once every file is older than the cut-off, only the one no row references goes.
    assert orphans.sweep(service.index, service.blobs, now + dt.timedelta(minutes=1)) == 1
    assert not exists(service, orphan)
    assert exists(service, stored) and exists(service, updated)
    assert orphans.sweep(service.index, service.blobs, now + dt.timedelta(minutes=1)) == 0


def test_a_file_a_stopped_store_left_staged_is_swept_once_older_than_the_grace(service: DicomService) -> None:
    staged = service.blobs.staging_path(service.blobs.new_key())
    now = dt.datetime.now(dt.UTC)
    if staged is None:  # Azure: a store stages in its process's temporary folder, cleared at the next start
        assert orphans.sweep(service.index, service.blobs, now + dt.timedelta(minutes=1)) == 0
        return
    staged.write_bytes(b"the first part of an instance")
    assert orphans.sweep(service.index, service.blobs, now - orphans.GRACE) == 0
    assert staged.exists()
    assert orphans.sweep(service.index, service.blobs, now + dt.timedelta(minutes=1)) == 1
    assert not staged.exists()
