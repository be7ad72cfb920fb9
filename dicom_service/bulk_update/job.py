"""The bulk update operation: rewrite every instance of each study, keeping the originals.

Studies are done in order; the checkpoint is the next study and the results so far, so a resumed run does
not count a study twice. Rewriting an instance again gives the same file, so a study interrupted half-way
is simply done again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dicom_service.bulk_update import rewrite as bulk_update
from dicom_service.bulk_update import versions
from dicom_service.kernel import instance as reading
from dicom_service.kernel.behaviour import behaviour_of_major
from dicom_service.operations import operation as ops
from dicom_service.operations.operation import Operation
from dicom_service.operations.worker import Outcome, Progress
from dicom_service.retrieve.repository import StoredInstance, instances
from dicom_service.storage.blobs import BlobSource

if TYPE_CHECKING:
    from dicom_service.storage.service import DicomService


def run(service: DicomService, op: Operation, progress: Progress) -> Outcome:
    studies: list[str] = op.spec["studies"]
    checkpoint = op.checkpoint or {
        "next": 0,
        "results": {"studyUpdated": 0, "studyFailed": 0, "instanceUpdated": 0},
    }
    results: dict[str, Any] = checkpoint["results"]
    for number in range(checkpoint["next"], len(studies)):
        study = studies[number]
        rows = instances(service.index, op.partition, study, metadata=False)
        try:
            if not rows:
                raise LookupError(f"The study {study} was not found.")
            for row in rows:
                _update(service, op, row)
        except (LookupError, reading.Rejected) as exc:
            _failed(results, f"Failed to update instances for study {study}: {exc}")
        else:
            results["studyUpdated"] += 1
            results["instanceUpdated"] += len(rows)
        progress((number + 1) * 100 // len(studies), {"next": number + 1, "results": results})
    return Outcome(ops.FAILED if results["studyFailed"] else ops.SUCCEEDED, results)


def _failed(results: dict[str, Any], message: str) -> None:
    results["studyFailed"] += 1
    results.setdefault("errors", []).append(message)


def _update(service: DicomService, op: Operation, row: StoredInstance) -> None:
    from dicom_service.storage.service import utc_now

    path = service.tmp / f"update-{op.id}-{row.sop_uid}.dcm"
    try:
        bulk_update.rewrite(BlobSource(service.blobs, row.blob_key, row.size), op.spec["changes"], path)
        item = reading.read(str(path), behaviour_of_major(op.spec["major"]))
        key = service.blobs.new_key()
        size = service.blobs.put_file(key, path)
    finally:
        path.unlink(missing_ok=True)
    unused = versions.replace_instance(service.index, row.watermark, key, size, item, utc_now())
    if unused is not None:
        service.blobs.delete(unused)
