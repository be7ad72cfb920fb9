"""WADO-RS metadata over HTTP: the stored DICOM JSON of a study, series or instance, with an ETag."""

from __future__ import annotations

import functools
import hashlib

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.bulk_update import versions
from dicom_service.retrieve import bulk_data
from dicom_service.retrieve.repository import StoredInstance, instances
from dicom_service.web.answers import error, json_text
from dicom_service.web.context import OperationContext


def etag(rows: list[StoredInstance]) -> str:
    """Changes whenever an instance of the resource is added, replaced, updated or deleted."""
    digest = hashlib.sha256(",".join(f"{row.watermark}:{row.blob_key}" for row in rows).encode()).hexdigest()[
        :32
    ]
    return f'"{digest}"'


async def stored_instances(
    ctx: OperationContext,
    study: str,
    series: str | None = None,
    sop: str | None = None,
    *,
    metadata: bool = True,
    frame_index: bool = False,
    bulk_positions: bool = False,
) -> list[StoredInstance]:
    """The rows of a study, series or instance (their originals when asked), with their DICOM JSON unless
    `metadata` is false and with their frame index when `frame_index` is true."""
    rows = await run_in_threadpool(
        functools.partial(
            instances,
            ctx.dicom.index,
            ctx.partition,
            study,
            series,
            sop,
            metadata=metadata,
            frame_index=frame_index,
            bulk_data=bulk_positions,
        )
    )
    if rows and ctx.params.get("msdicom-request-original"):  # the versions before a bulk update
        rows = await run_in_threadpool(versions.as_original, ctx.dicom.index, rows)
    return rows


def not_found(study: str, series: str | None = None, sop: str | None = None) -> Response:
    if sop is not None:
        return error(404, f"The instance {sop} of series {series} of study {study} was not found.")
    if series is not None:
        return error(404, f"The series {series} of study {study} was not found.")
    return error(404, f"The study {study} was not found.")


async def metadata(
    ctx: OperationContext, study: str, series: str | None = None, sop: str | None = None
) -> Response:
    with_bulk = bulk_data.offered(ctx)
    rows = await stored_instances(ctx, study, series, sop, frame_index=with_bulk, bulk_positions=with_bulk)
    if not rows:
        return not_found(study, series, sop)
    tag = etag(rows)
    if ctx.params.get("If-None-Match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    if with_bulk:
        return json_text(await run_in_threadpool(bulk_data.with_bulk_data, ctx, rows), headers={"ETag": tag})
    return json_text("[" + ",".join(row.metadata for row in rows) + "]", headers={"ETag": tag})
