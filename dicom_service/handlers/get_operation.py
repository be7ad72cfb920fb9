"""Handler of getOperation: Get the state of an operation

Handles GET on:
    /operations/{operationId}
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from dicom_service.operations import operation as ops
from dicom_service.operations import repository as records
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    op = await run_in_threadpool(records.get, ctx.dicom.index, ops.normal_id(ctx.params["operationId"]))
    if op is None:
        return Response(status_code=404)
    body = ops.state(op, ctx.behaviour.operation_succeeded_status, ctx.url)
    if op.active:
        return JSONResponse(body, 202, {"Location": ctx.url("operations", op.id)})
    return JSONResponse(body)
