"""Handler of searchWorkitems: Search for workitems

Handles GET on:
    /workitems
    /partitions/{partitionName}/workitems
"""

from starlette.responses import Response

from dicom_service.web.context import OperationContext
from dicom_service.worklist import http as worklist


async def handle(ctx: OperationContext) -> Response:
    return await worklist.search(ctx)
