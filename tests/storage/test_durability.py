"""Data survives a restart; a store killed midway leaves nothing a client can see."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from dicom_service.changefeed.repository import changes
from dicom_service.kernel.behaviour import behaviour_of_major
from dicom_service.storage.blobs import FolderBlobStore
from dicom_service.storage.service import DicomService
from dicom_service.store import receive
from dicom_service.store.stow import store_files
from tests.service import data
from tests.service.live import LiveService

ACCEPT = {"Accept": "application/dicom+json"}
STORE = {"Content-Type": "application/dicom", **ACCEPT}


def test_stored_data_survives_a_restart(tmp_path: Path) -> None:
    service = LiveService(tmp_path / "data").start()
    try:
        ds = data.instance(PatientID="DURABLE")
        assert (
            requests.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE).status_code
            == 200
        )
        before = requests.get(f"{service.root}/v2/studies/{ds.StudyInstanceUID}/metadata", headers=ACCEPT)
        service.restart()
        after = requests.get(f"{service.root}/v2/studies/{ds.StudyInstanceUID}/metadata", headers=ACCEPT)
        assert after.status_code == 200 and after.json() == before.json()
        assert after.headers["ETag"] == before.headers["ETag"]
    finally:
        service.stop()


def test_a_store_killed_while_receiving_leaves_nothing_visible(tmp_path: Path) -> None:
    service = LiveService(tmp_path / "data").start()
    instances = data.study(3, PatientID="KILLED")
    sent_first = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b"--b\r\nContent-Type: application/dicom\r\n\r\n" + data.part10(instances[0]) + b"\r\n"
        # The start of a second part, past the batch the service parses at once, so both reach its folder.
        yield b"--b\r\nContent-Type: application/dicom\r\n\r\n" + bytes(receive.BATCH)
        sent_first.set()
        time.sleep(30)  # the server is killed meanwhile
        yield b"--b--\r\n"

    def send() -> None:
        with contextlib.suppress(requests.RequestException):  # the connection dies with the server
            requests.post(
                f"{service.root}/v2/studies",
                data=slow_body(),
                headers={"Content-Type": 'multipart/related; type="application/dicom"; boundary=b', **ACCEPT},
                timeout=60,
            )

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        assert sent_first.wait(10)
        time.sleep(0.5)  # the first part is staged beside its place in the blob folders
        blobs = tmp_path / "data" / "blobs"
        staged = list(blobs.rglob(".*.part"))
        assert staged
        service.stop(signal.SIGKILL)
        service.start()
        found = requests.get(f"{service.root}/v2/studies", params={"PatientID": "KILLED"}, headers=ACCEPT)
        assert found.status_code == 204
        assert not any(blobs.rglob("*.dcm"))  # nothing was moved into place
        # What the dead process staged goes with the orphan sweep, once older than its grace period.
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        assert FolderBlobStore(blobs).remove_staged_older_than(later) == len(staged)
    finally:
        service.stop()


def test_a_store_that_fails_after_writing_the_file_keeps_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure between the blob write and the index commit: the file is removed, the index untouched."""
    service = DicomService(tmp_path / "data")
    try:
        source = tmp_path / "0.dcm"
        source.write_bytes(data.part10(data.instance(PatientID="HALF")))

        def broken_add(*args: object) -> int:
            raise RuntimeError("the index went away")

        monkeypatch.setattr("dicom_service.store.group_commit.add_rows", broken_add)  # SQLite's index write
        with pytest.raises(RuntimeError):
            store_files(
                service,
                "Microsoft.Default",
                [source],
                behaviour_of_major(2),
                None,
            )
        assert not any((tmp_path / "data" / "blobs").rglob("*.dcm"))
        assert changes(service.index, limit=10) == []
    finally:
        service.close()
