"""Which job runs each type of long-running operation, and the worker started with the service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicom_service.bulk_update import job as bulk_update_job
from dicom_service.export import job as export
from dicom_service.operations import operation as ops
from dicom_service.operations.worker import Job, OperationWorker
from dicom_service.query_tags import reindex

if TYPE_CHECKING:
    from dicom_service.storage.service import DicomService

JOBS: dict[str, Job] = {ops.REINDEX: reindex.run, ops.UPDATE: bulk_update_job.run, ops.EXPORT: export.run}


def start_worker(service: DicomService) -> OperationWorker:
    worker = OperationWorker(service, JOBS)
    worker.start()
    return worker
