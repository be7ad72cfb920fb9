"""Handler of listExtendedQueryTags: List extended query tags

Handles GET on:
    /extendedquerytags
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from dicom_service.query_tags import repository as store
from dicom_service.query_tags.http import document
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    found = await run_in_threadpool(
        store.list_tags, ctx.dicom.index, ctx.params["offset"], ctx.params["limit"]
    )
    return JSONResponse([document(ctx, tag) for tag in found])
