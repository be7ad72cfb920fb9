"""Handler of updateWorkitem: Update a workitem

Handles POST on:
    /workitems/{workitemInstanceUid}
    /partitions/{partitionName}/workitems/{workitemInstanceUid}
"""

from starlette.responses import Response

from dicom_service.web.context import OperationContext
from dicom_service.worklist import http as worklist


async def handle(ctx: OperationContext) -> Response:
    return await worklist.update(ctx)
