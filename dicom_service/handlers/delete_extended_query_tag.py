"""Handler of deleteExtendedQueryTag: Delete an extended query tag

Handles DELETE on:
    /extendedquerytags/{tagPath}
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.query_tags import repository as store
from dicom_service.query_tags.http import named_tag
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    tag = await named_tag(ctx)
    if isinstance(tag, Response):
        return tag
    await run_in_threadpool(store.delete_tag, ctx.dicom.index, tag.path)
    return Response(status_code=204)
