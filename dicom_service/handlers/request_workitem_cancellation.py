"""Handler of requestWorkitemCancellation: Request the cancellation of a workitem

Handles POST on:
    /workitems/{workitemInstanceUid}/cancelrequest
    /partitions/{partitionName}/workitems/{workitemInstanceUid}/cancelrequest
"""

from starlette.responses import Response

from dicom_service.web.context import OperationContext
from dicom_service.worklist import http as worklist


async def handle(ctx: OperationContext) -> Response:
    return await worklist.request_cancellation(ctx)
