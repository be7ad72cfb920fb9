"""Handler of retrieveSeriesMetadata: Retrieve series metadata

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/metadata
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/metadata
"""

from starlette.responses import Response

from dicom_service.retrieve.metadata import metadata
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await metadata(ctx, ctx.params["studyInstanceUid"], ctx.params["seriesInstanceUid"])
