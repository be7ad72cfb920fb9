"""Orphan blobs: instance files no index row references, and their removal.

A store writes the file first and commits the index row after it, so a process killed in between (or a
delete killed between its commit and the file's removal) leaves a file no client can ever see; it only
takes space. `sweep` removes such files once they are older than a grace period. The grace period is what
makes it safe beside live processes: a sibling's store (or bulk update) in flight wrote its file moments
before its commit, so that file is younger than the grace period and never looked at, and a file older than
it that nothing references now never will be (keys are random and used once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select, union

from dicom_service.storage.blobs import BlobStore
from dicom_service.storage.operations_schema import instance_original
from dicom_service.storage.schema import instance

if TYPE_CHECKING:
    from dicom_service.storage.database import Database

GRACE = dt.timedelta(hours=1)  # far longer than any store takes from its file to its commit
BATCH = 500  # keys looked up in the index per query


def sweep(index: Database, blobs: BlobStore, older_than: dt.datetime) -> int:
    """Remove the blobs written before `older_than` that no instance (current or original version)
    references, and the files staged for a blob then; returns how many were removed."""
    removed = blobs.remove_staged_older_than(older_than)
    for keys in _batches(blobs.keys_older_than(older_than), BATCH):
        held = referenced(index, keys)
        for key in keys:
            if key not in held:
                blobs.delete(key)
                removed += 1
    return removed


def referenced(index: Database, keys: list[str]) -> set[str]:
    """Of `keys`, those an instance row or a kept original references."""
    query = union(
        select(instance.c.blob_key).where(instance.c.blob_key.in_(keys)),
        select(instance_original.c.blob_key).where(instance_original.c.blob_key.in_(keys)),
    )
    with index.read() as c:
        return set(c.execute(query).scalars())


def _batches(keys: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
