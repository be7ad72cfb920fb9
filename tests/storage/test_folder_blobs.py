"""The folder blob store: its 256 folders made once at start-up, a file moved in whole under its key from
where it was staged (beside its place), a folder removed while running made again, a missing source
reported as missing, staged files a stopped store left removed once old, and the folders spread apart on
ext2/3/4."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dicom_service.storage.blobs import FolderBlobStore


def _source(tmp_path: Path, body: bytes = b"DICM" * 1000) -> Path:
    source = tmp_path / "incoming.dcm"
    source.write_bytes(body)
    return source


def test_a_new_store_has_its_folders_and_moves_a_file_in_whole(tmp_path: Path) -> None:
    blobs = FolderBlobStore(tmp_path / "blobs")
    assert sorted(p.name for p in (tmp_path / "blobs").iterdir()) == [f"{n:02x}" for n in range(256)]
    key = blobs.new_key()
    source = _source(tmp_path)
    assert blobs.put_file(key, source) == 4000
    assert not source.exists()
    path = blobs.local_path(key)
    assert path is not None and Path(path) == tmp_path / "blobs" / key[:2] / f"{key}.dcm"
    assert blobs.read(key) == b"DICM" * 1000


def test_a_folder_removed_while_running_is_made_again(tmp_path: Path) -> None:
    blobs = FolderBlobStore(tmp_path / "blobs")
    key = blobs.new_key()
    shutil.rmtree(tmp_path / "blobs" / key[:2])
    assert blobs.put_file(key, _source(tmp_path)) == 4000
    assert blobs.read(key) == b"DICM" * 1000


def test_a_missing_source_is_reported_as_missing(tmp_path: Path) -> None:
    blobs = FolderBlobStore(tmp_path / "blobs")
    with pytest.raises(FileNotFoundError):
        blobs.put_file(blobs.new_key(), tmp_path / "gone.dcm")


def test_a_file_staged_for_a_key_lies_beside_its_place_and_is_moved_in_by_a_rename(tmp_path: Path) -> None:
    blobs = FolderBlobStore(tmp_path / "blobs")
    key = blobs.new_key()
    staged = blobs.staging_path(key)
    assert staged.parent == tmp_path / "blobs" / key[:2]  # one folder: no rename across folders
    staged.write_bytes(b"DICM" * 10)
    inode = staged.stat().st_ino
    assert blobs.put_file(key, staged) == 40
    assert not staged.exists()
    assert os.stat(str(blobs.local_path(key))).st_ino == inode  # renamed, not copied
    assert list(blobs.keys_older_than(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))) == [key]


def test_staged_files_left_by_a_stopped_store_are_removed_once_old_and_nothing_else(tmp_path: Path) -> None:
    blobs = FolderBlobStore(tmp_path / "blobs")
    stored = blobs.new_key()
    blobs.put_file(stored, _source(tmp_path))
    left = blobs.staging_path(blobs.new_key())
    left.write_bytes(b"half an instance")
    now = dt.datetime.now(dt.UTC)
    assert blobs.remove_staged_older_than(now - dt.timedelta(hours=1)) == 0  # maybe a store in flight
    assert left.exists()
    assert blobs.remove_staged_older_than(now + dt.timedelta(minutes=1)) == 1
    assert not left.exists()
    assert blobs.read(stored) == b"DICM" * 1000


def _attributes(path: Path) -> str | None:
    """`lsattr -d` of the folder's flags, None where the tools or the file system have none."""
    if shutil.which("lsattr") is None:
        return None
    shown = subprocess.run(["lsattr", "-d", str(path)], capture_output=True, text=True, check=False)
    return shown.stdout.split()[0] if shown.returncode == 0 and shown.stdout else None


def test_the_blob_folders_are_spread_apart_where_the_file_system_can(tmp_path: Path) -> None:
    """ext2/3/4: the blobs folder carries the top-directory hint (`chattr +T`) before its folders are made,
    so they do not all share the data folder's block group."""
    probe = tmp_path / "probe"
    probe.mkdir()
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+T", str(probe)], check=False).returncode:
        pytest.skip("this file system has no top-directory hint")

    FolderBlobStore(tmp_path / "blobs")

    flags = _attributes(tmp_path / "blobs")
    assert flags is not None and "T" in flags
