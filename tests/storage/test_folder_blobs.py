"""The folder blob store: its 256 folders made once at start-up, a file moved in whole under its key, a
folder removed while running made again, and a missing source reported as missing."""

from __future__ import annotations

import shutil
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
