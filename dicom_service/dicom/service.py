"""The DICOM service's storage, opened from the data folder: index database, blob store, temporary files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from dicom_service.dicom.storage.blobs import BlobStore, FolderBlobStore
from dicom_service.dicom.storage.index import SqlIndex


def timestamp(moment: dt.datetime) -> str:
    """A change-feed timestamp: UTC, fixed width so it sorts as text (strftime does not pad years < 1000)."""
    utc = moment.astimezone(dt.UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%fZ")


def utc_now() -> str:
    return timestamp(dt.datetime.now(dt.UTC))


class DicomService:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.tmp = data_dir / "tmp"
        shutil.rmtree(self.tmp, ignore_errors=True)  # what a stopped process left mid-store
        self.tmp.mkdir()
        self.blobs: BlobStore = FolderBlobStore(data_dir / "blobs")
        self.index = SqlIndex(f"sqlite:///{data_dir / 'index.sqlite'}", utc_now())

    def close(self) -> None:
        self.index.close()
