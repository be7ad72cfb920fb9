"""Handler of deleteSeries: Delete a series

Handles DELETE on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}
"""

from starlette.responses import Response

from dicom_service.delete.http import delete
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await delete(ctx, ctx.params["studyInstanceUid"], ctx.params["seriesInstanceUid"])
