"""Handler of listPartitions: List partitions

Handles GET on:
    /partitions
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.web.partitions import partitions


async def handle(ctx: OperationContext) -> Response:
    return await partitions(ctx)
