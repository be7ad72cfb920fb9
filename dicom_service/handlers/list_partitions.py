"""Handler of listPartitions: List partitions

Handles GET on:
    /partitions
"""

from starlette.responses import Response

from dicom_service.partitions.http import partitions
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await partitions(ctx)
