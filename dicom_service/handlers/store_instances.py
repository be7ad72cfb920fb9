"""Handler of storeInstances: Store instances (STOW-RS)

Handles POST on:
    /studies
    /partitions/{partitionName}/studies
"""

from starlette.responses import Response

from dicom_service.store.http import store
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await store(ctx)
