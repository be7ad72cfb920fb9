"""The real-size bench's stores: CLIENTS threads storing request bodies, timed, and what creating a file costs
in the bench's folder (which one-slice stores depend on)."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.realsize_http import Link, Part, length, stored_count

CLIENTS = 4
JSON = "application/dicom+json"

Body = tuple[list[Part], str, int]  # a store request's parts, its content type and its instances


def store_rate(root: str, bodies: list[Body], per_instance: bool = False) -> float:
    """MB/s (instances/s when `per_instance`) of CLIENTS threads storing `bodies`."""
    seconds = store_seconds(root, bodies)
    if per_instance:
        return sum(count for _, _, count in bodies) / seconds
    return sum(length(b) for b, _, _ in bodies) / 1e6 / seconds


def store_seconds(root: str, bodies: list[Body]) -> float:
    """Seconds CLIENTS threads take to store `bodies`, each on its own connection."""

    def client(share: list[Body]) -> None:
        link = Link(root)
        try:
            for body, content_type, count in share:
                answer = link.send("POST", "/studies", {"Accept": JSON, "Content-Type": content_type}, body)
                if stored_count(answer) != count:
                    raise RuntimeError(f"{root}: storing {count} answered {answer.status}: {answer.head()}")
        finally:
            link.close()

    shares = [bodies[i::CLIENTS] for i in range(CLIENTS)]
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(client, share) for share in shares if share]:
            future.result()
    return time.perf_counter() - started


CREATION_PROBE = 200  # empty files made to time a file's creation in the bench's folder
SLOW_CREATION_US = 100  # above this, the folder's file system is in the state `creation_cost` describes


def creation_cost(folder: Path) -> float:
    """Microseconds to create an empty file in `folder`. On an ext4 file system without a journal (this
    machine's) a new file's inode is found by skipping, one by one, the inodes freed nearby in the last
    minutes: right after a test suite removed its temporary folders it cost 170-830 µs here instead of
    16-20, and storing one slice per request took ours 0.4-1.3 ms more system time per slice until its
    blob folders were spread apart (`dicom_service/storage/spread_folders.py`); Orthanc's may still pay it.
    The files are kept until the run ends: removing them would add to it."""
    folder.mkdir()
    started = time.perf_counter()
    for n in range(CREATION_PROBE):
        os.close(os.open(folder / str(n), os.O_CREAT | os.O_WRONLY, 0o600))
    return (time.perf_counter() - started) / CREATION_PROBE * 1e6
