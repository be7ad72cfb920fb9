"""GET /partitions: the data partitions, the default one first; 204 when there are none."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.partitions import repository
from dicom_service.web.context import OperationContext


async def partitions(ctx: OperationContext) -> Response:
    found = await run_in_threadpool(repository.partitions, ctx.dicom.index)
    if not found:
        return Response(status_code=204)
    return Response(orjson.dumps(found), media_type="application/json")
