"""The reindex operation: index the stored instances for newly added extended query tags.

It reads each instance's stored DICOM JSON from the index (never the files), in batches in index order;
the last instance done is the checkpoint a resumed run starts after. Instances stored meanwhile are indexed
by their store, so the run ends when it reaches the end of the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicom_service.operations import operation as ops
from dicom_service.operations.operation import Operation
from dicom_service.operations.worker import Outcome, Progress
from dicom_service.query_tags import repository as store

if TYPE_CHECKING:
    from dicom_service.storage.service import DicomService

BATCH = 50  # instances per write transaction: stores wait at most for one batch


def run(service: DicomService, op: Operation, progress: Progress) -> Outcome:
    from dicom_service.storage.service import utc_now

    paths: list[str] = op.spec["tags"]
    after = int(op.checkpoint or 0)
    total = max(store.count_instances(service.index), 1)
    done = 0
    while rows := store.instances_after(service.index, after, BATCH):
        store.reindex_batch(service.index, rows, paths, utc_now())
        after = rows[-1].id
        done += len(rows)
        progress(done * 100 // total, after)
    store.finish_reindex(service.index, op.id)
    return Outcome(ops.SUCCEEDED)
