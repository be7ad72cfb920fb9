"""Handler of deleteStudy: Delete a study

Handles DELETE on:
    /studies/{studyInstanceUid}
    /partitions/{partitionName}/studies/{studyInstanceUid}
"""

from starlette.responses import Response

from dicom_service.delete.http import delete
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await delete(ctx, ctx.params["studyInstanceUid"])
