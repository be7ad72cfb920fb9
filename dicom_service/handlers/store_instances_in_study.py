"""Handler of storeInstancesInStudy: Store instances of one study (STOW-RS)

Handles POST on:
    /studies/{studyInstanceUid}
    /partitions/{partitionName}/studies/{studyInstanceUid}

Every instance must belong to the study in the URL (FailureReason 43265 otherwise).
"""

from starlette.responses import Response

from dicom_service.store.http import store
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await store(ctx, ctx.params["studyInstanceUid"])
