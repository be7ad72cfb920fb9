"""Handler of listExtendedQueryTags: List extended query tags

Handles GET on:
    /extendedquerytags
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from dicom_service.context import OperationContext
from dicom_service.dicom.storage import query_tags as store
from dicom_service.web.query_tags import document


async def handle(ctx: OperationContext) -> Response:
    found = await run_in_threadpool(
        store.list_tags, ctx.dicom.index, ctx.params["offset"], ctx.params["limit"]
    )
    return JSONResponse([document(ctx, tag) for tag in found])
