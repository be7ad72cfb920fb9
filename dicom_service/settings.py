"""The service's storage settings, read from the environment once at start-up.

- `DATA_DIR`: the local data folder (default `build/data`): temporary files, and the defaults below.
- `DICOM_INDEX_URL`: the index database; default `sqlite:///<DATA_DIR>/index.sqlite`;
  `postgresql://user:password@host:port/database` selects PostgreSQL (driver psycopg 3).
- `DICOM_BLOB_URL`: where instance files live; default the folder `<DATA_DIR>/blobs`; a folder path, or
  `azure://<container>` for Azure Blob Storage with the account of `AZURE_STORAGE_CONNECTION_STRING`.
- `WORKERS`: service processes started by `make serve` (default 1).
- `DICOM_OPERATION_LEASE_SECONDS`: how long a running operation's owner may go silent before another
  process takes the operation over (default `operations.LEASE_SECONDS`).

A setting that is wrong raises `SettingsError`, whose message is one line naming the setting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from dicom_service.operations.operation import LEASE_SECONDS

AZURE_SCHEME = "azure://"
CONTAINER_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")
MAX_WORKERS = 64
MAX_LEASE_SECONDS = 3600.0


class SettingsError(Exception):
    """A start-up setting that is malformed or names something unreachable; the message names it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    index_url: URL
    blob_folder: Path | None  # one of blob_folder / azure_container
    azure_container: str | None
    azure_connection_string: str | None
    workers: int
    operation_lease_seconds: float = LEASE_SECONDS

    @property
    def index_engine(self) -> str:
        return "postgresql" if self.index_url.get_backend_name() == "postgresql" else "sqlite"

    def shown_index_url(self) -> str:
        """The index URL with its password hidden, for messages."""
        shown = self.index_url.set(drivername=self.index_url.get_backend_name())
        return shown.render_as_string(hide_password=True)


def from_environment(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("DATA_DIR") or "build/data")
    index_url = _index_url(env.get("DICOM_INDEX_URL"), data_dir)
    blob_url = env.get("DICOM_BLOB_URL") or str(data_dir / "blobs")
    container = connection = None
    folder: Path | None = None
    if blob_url.startswith(AZURE_SCHEME):
        container = blob_url.removeprefix(AZURE_SCHEME).strip("/")
        if not CONTAINER_NAME.match(container):
            raise SettingsError(
                f"DICOM_BLOB_URL: {blob_url!r} does not name a valid Azure container "
                "(3 to 63 lowercase letters, digits and single hyphens)"
            )
        connection = env.get("AZURE_STORAGE_CONNECTION_STRING")
        if not connection:
            raise SettingsError("AZURE_STORAGE_CONNECTION_STRING: required when DICOM_BLOB_URL is azure://")
    elif "://" in blob_url:
        raise SettingsError(f"DICOM_BLOB_URL: {blob_url!r} is neither a folder nor azure://<container>")
    else:
        folder = Path(blob_url)
    workers = _workers(env.get("WORKERS"))
    lease = _lease_seconds(env.get("DICOM_OPERATION_LEASE_SECONDS"))
    return Settings(data_dir, index_url, folder, container, connection, workers, lease)


def _index_url(text: str | None, data_dir: Path) -> URL:
    if not text:
        return make_url(f"sqlite:///{data_dir / 'index.sqlite'}")
    try:
        url = make_url(text)
    except ArgumentError:
        raise SettingsError(
            "DICOM_INDEX_URL: not a database URL (expected postgresql://… or sqlite:///…)"
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and url.database:
        return url
    raise SettingsError(
        f"DICOM_INDEX_URL: {url.render_as_string(hide_password=True)!r} is not a postgresql:// "
        "or sqlite:///<file> URL"
    )


def _workers(text: str | None) -> int:
    if not text:
        return 1
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise SettingsError(f"WORKERS: {text!r} is not a number of processes from 1 to {MAX_WORKERS}")
    return int(text)


def _lease_seconds(text: str | None) -> float:
    if not text:
        return LEASE_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0.5 <= seconds <= MAX_LEASE_SECONDS:  # (NaN fails too)
        raise SettingsError(
            f"DICOM_OPERATION_LEASE_SECONDS: {text!r} is not a number of seconds"
            f" from 0.5 to {MAX_LEASE_SECONDS:g}"
        )
    return seconds
