"""Each service process's own temporary folder under `<DATA_DIR>/tmp`, safe with several processes.

A process holds an exclusive lock (flock) on `<id>.lock` for its lifetime, next to its folder `<id>/`.
At start-up, folders whose lock nobody holds belong to processes that stopped (or were killed) mid-store
and are removed. Creating and cleaning happen under `tmp/.start.lock`, so no process removes a folder
another is creating.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path


class Scratch:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        with _locked(root / ".start.lock"):
            _remove_abandoned(root)
            self._lock = os.open(root / f"{name}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.folder = root / name
            self.folder.mkdir()

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.folder.parent / f"{self.folder.name}.lock").unlink()
        os.close(self._lock)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_abandoned(root: Path) -> None:
    for entry in root.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.suffix == ".lock":
            _remove_if_free(entry)
        elif entry.is_dir() and not (root / f"{entry.name}.lock").exists():
            shutil.rmtree(entry, ignore_errors=True)  # a folder without its lock: left by an older layout
        elif entry.is_file():
            entry.unlink(missing_ok=True)


def _remove_if_free(lock: Path) -> None:
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return  # a running process holds it
    try:
        shutil.rmtree(lock.with_suffix(""), ignore_errors=True)
        lock.unlink(missing_ok=True)
    finally:
        os.close(fd)
