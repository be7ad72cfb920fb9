"""Handler of deleteInstance: Delete an instance

Handles DELETE on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}
"""

from starlette.responses import Response

from dicom_service.delete.http import delete
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await delete(
        ctx, ctx.params["studyInstanceUid"], ctx.params["seriesInstanceUid"], ctx.params["sopInstanceUid"]
    )
