"""Handler of listExtendedQueryTagErrors: List indexing errors of an extended query tag

Handles GET on:
    /extendedquerytags/{tagPath}/errors
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from dicom_service.query_tags import repository as store
from dicom_service.query_tags.http import named_tag
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    tag = await named_tag(ctx)
    if isinstance(tag, Response):
        return tag
    found = await run_in_threadpool(
        store.errors, ctx.dicom.index, tag.id, ctx.params["offset"], ctx.params["limit"]
    )
    return JSONResponse(found)
