"""Handler of retrieveSeriesMetadata: Retrieve series metadata

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/metadata
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/metadata
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.web.metadata import metadata


async def handle(ctx: OperationContext) -> Response:
    return await metadata(ctx, ctx.params["studyInstanceUid"], ctx.params["seriesInstanceUid"])
