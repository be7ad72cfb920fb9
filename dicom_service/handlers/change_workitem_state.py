"""Handler of changeWorkitemState: Change the state of a workitem

Handles PUT on:
    /workitems/{workitemInstanceUid}/state
    /partitions/{partitionName}/workitems/{workitemInstanceUid}/state
"""

from starlette.responses import Response

from dicom_service.web.context import OperationContext
from dicom_service.worklist import http as worklist


async def handle(ctx: OperationContext) -> Response:
    return await worklist.change_state(ctx)
