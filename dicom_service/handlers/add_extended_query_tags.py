"""Handler of addExtendedQueryTags: Add extended query tags

Handles POST on:
    /extendedquerytags
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.operations.http import started
from dicom_service.query_tags import repository as store
from dicom_service.query_tags.http import check_add_body
from dicom_service.query_tags.rules import TagError, check_new
from dicom_service.storage.service import utc_now
from dicom_service.web.answers import error
from dicom_service.web.context import OperationContext
from dicom_service.web.json_body import BodyError, read_json


async def handle(ctx: OperationContext) -> Response:
    try:
        new = check_new(check_add_body(await read_json(ctx.request)))
        op_id = await run_in_threadpool(store.add_tags, ctx.dicom.index, new, ctx.partition, utc_now())
    except (BodyError, TagError) as exc:
        return error(400, str(exc))
    except store.Conflict as exc:
        return error(409, str(exc))
    return started(ctx, op_id)
