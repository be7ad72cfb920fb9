"""QIDO-RS over HTTP: parse the query string, search the index, answer DICOM JSON (204 when nothing)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.dicom import query, results
from dicom_service.dicom.query import QueryError, Resource
from dicom_service.web.answers import dicom_json, error


async def search(ctx: OperationContext, resource: Resource) -> Response:
    try:
        parsed = query.parse(
            resource,
            ctx.partition,
            ctx.request.query_params.multi_items(),
            limit=ctx.params["limit"],
            offset=ctx.params["offset"],
            fuzzy=ctx.params.get("fuzzymatching", False),
            study_uid=ctx.params.get("studyInstanceUid"),
            series_uid=ctx.params.get("seriesInstanceUid"),
        )
    except QueryError as exc:
        return error(400, str(exc))
    found = await run_in_threadpool(results.search, ctx.dicom.index, parsed, ctx.behaviour)
    if not found:
        return Response(status_code=204)
    return dicom_json(found)
