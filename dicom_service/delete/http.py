"""Delete over HTTP: remove a study, series or instance from the index, then its files."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.delete import repository
from dicom_service.retrieve.metadata import not_found
from dicom_service.storage.service import DicomService, utc_now
from dicom_service.web.context import OperationContext


def _delete(service: DicomService, partition: str, study: str, series: str | None, sop: str | None) -> bool:
    keys = repository.delete(service.index, partition, study, series, sop, utc_now())
    for key in keys:  # after the commit: a crash here leaves unreferenced files, never a visible half
        service.blobs.delete(key)
    return bool(keys)


async def delete(
    ctx: OperationContext, study: str, series: str | None = None, sop: str | None = None
) -> Response:
    if not await run_in_threadpool(_delete, ctx.dicom, ctx.partition, study, series, sop):
        return not_found(study, series, sop)
    return Response(status_code=204)
