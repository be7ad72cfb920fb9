"""Handler of updateExtendedQueryTag: Update an extended query tag

Handles PATCH on:
    /extendedquerytags/{tagPath}
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.query_tags import repository as store
from dicom_service.query_tags.http import QUERY_STATUSES, answer, named_tag
from dicom_service.web.answers import error
from dicom_service.web.context import OperationContext
from dicom_service.web.json_body import BodyError, expect, member, read_json


async def handle(ctx: OperationContext) -> Response:
    try:
        body = expect(await read_json(ctx.request), dict, "")
        status = member(body, "queryStatus", str, "", choices=QUERY_STATUSES)
    except BodyError as exc:
        return error(400, str(exc))
    tag = await named_tag(ctx)
    if isinstance(tag, Response):
        return tag
    updated = await run_in_threadpool(store.set_query_status, ctx.dicom.index, tag.path, status)
    if updated is None:  # deleted meanwhile
        return error(404, f"The specified extended query tag with tag path {tag.path} cannot be found.")
    return answer(ctx, updated)
