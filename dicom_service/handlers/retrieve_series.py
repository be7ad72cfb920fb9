"""Handler of retrieveSeries: Retrieve a series

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}
"""

from starlette.responses import Response

from dicom_service.retrieve.http import instances
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await instances(ctx, ctx.params["studyInstanceUid"], ctx.params["seriesInstanceUid"])
