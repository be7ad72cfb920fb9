"""The data disk full: a store fails cleanly (503 + Retry-After, naming the disk), the index keeps what it
had, no file is left behind, and once space is freed the same process stores again.

The disk is a 16 MiB tmpfs mounted for the test (root only; skipped otherwise) holding DATA_DIR whole:
the index, the blobs and the temporary files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.load.scenario import ACCEPT, STORE
from tests.load.served import Served
from tests.service import data

pytestmark = pytest.mark.e2e  # starts the service as its own process


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """A file that takes every free byte of `disk`."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as file:  # unbuffered: nothing left to flush at close
        try:
            while True:
                file.write(b"\0" * (1 << 16))
        except OSError:
            pass
    return filler


def blob_files(data_dir: Path) -> int:
    return sum(1 for _ in (data_dir / "blobs").rglob("*.dcm"))


def test_a_store_on_a_full_disk_fails_cleanly_and_the_next_one_succeeds(small_disk: Path) -> None:
    service = Served(small_disk / "data", admin=False)
    service.log = small_disk.parent / "service.log"  # the log is not on the small disk
    service.start()
    try:
        instances = data.study(3, PatientID="DISK-1")
        study = instances[0].StudyInstanceUID
        first = requests.post(f"{service.root}/v2/studies", data=data.part10(instances[0]), headers=STORE)
        assert first.status_code == 200
        filler = fill(small_disk)

        refused = requests.post(f"{service.root}/v2/studies", data=data.part10(instances[1]), headers=STORE)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"].isdigit()
        assert refused.text == "The service's data disk is full; try again later."
        listed = requests.get(f"{service.root}/v2/studies/{study}/instances", headers=ACCEPT).json()
        assert [row["00080018"]["Value"][0] for row in listed] == [instances[0].SOPInstanceUID]
        assert blob_files(service.data_dir) == 1
        assert [p for p in (service.data_dir / "tmp").rglob("*") if p.is_file() and p.suffix != ".lock"] == []
        assert list((service.data_dir / "blobs").rglob(".*.part")) == []  # nothing staged is left

        filler.unlink()
        for ds in instances[1:]:
            again = requests.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)
            assert again.status_code == 200, again.text
        assert len(requests.get(f"{service.root}/v2/studies/{study}/instances", headers=ACCEPT).json()) == 3
        assert service.process is not None and service.process.poll() is None  # no restart
    finally:
        service.stop()
    with sqlite3.connect(service.data_dir / "index.sqlite") as index:
        assert index.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    text = service.log.read_text()
    assert "Traceback" not in text and "data disk is unavailable" in text
