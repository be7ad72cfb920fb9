"""Which job runs each type of long-running operation, and the worker started with the service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicom_service.dicom import bulk_update_job, export, reindex
from dicom_service.dicom import operations as ops
from dicom_service.dicom.worker import Job, OperationWorker

if TYPE_CHECKING:
    from dicom_service.dicom.service import DicomService

JOBS: dict[str, Job] = {ops.REINDEX: reindex.run, ops.UPDATE: bulk_update_job.run, ops.EXPORT: export.run}


def start_worker(service: DicomService) -> OperationWorker:
    worker = OperationWorker(service, JOBS)
    worker.start()
    return worker
