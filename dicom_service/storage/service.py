"""The DICOM service's storage, opened from its settings: index database, blob store, temporary files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dicom_service.settings import Settings, from_environment
from dicom_service.storage.blobs import BlobStore
from dicom_service.storage.opening import open_blobs, open_index
from dicom_service.storage.scratch import Scratch


def timestamp(moment: dt.datetime) -> str:
    """A change-feed timestamp: UTC, fixed width so it sorts as text (strftime does not pad years < 1000)."""
    utc = moment.astimezone(dt.UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%fZ")


def utc_now() -> str:
    return timestamp(dt.datetime.now(dt.UTC))


class DicomService:
    """Opened once per service process; raises SettingsError (one line) when a setting is unusable."""

    def __init__(self, data_dir: Path, settings: Settings | None = None) -> None:
        self.settings = settings or from_environment({"DATA_DIR": str(data_dir)})
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self._scratch = Scratch(data_dir / "tmp")  # this process's; what stopped processes left is removed
        self.tmp = self._scratch.folder
        try:
            self.blobs: BlobStore = open_blobs(self.settings)
            self.index = open_index(self.settings, utc_now())
        except BaseException:
            self._scratch.close()
            raise

    @classmethod
    def from_settings(cls, settings: Settings) -> DicomService:
        return cls(settings.data_dir, settings)

    def close(self) -> None:
        self.index.close()
        self._scratch.close()
