"""Handler of storeInstances: Store instances (STOW-RS)

Handles POST on:
    /studies
    /partitions/{partitionName}/studies
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.web.store import store


async def handle(ctx: OperationContext) -> Response:
    return await store(ctx)
