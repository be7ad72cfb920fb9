"""Handler of retrieveWorkitem: Retrieve a workitem

Handles GET on:
    /workitems/{workitemInstanceUid}
    /partitions/{partitionName}/workitems/{workitemInstanceUid}
"""

from starlette.responses import Response

from dicom_service.web.context import OperationContext
from dicom_service.worklist import http as worklist


async def handle(ctx: OperationContext) -> Response:
    return await worklist.retrieve(ctx)
