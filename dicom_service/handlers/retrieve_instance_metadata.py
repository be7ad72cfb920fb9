"""Handler of retrieveInstanceMetadata: Retrieve instance metadata

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/metadata
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/metadata
"""

from starlette.responses import Response

from dicom_service.retrieve.metadata import metadata
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await metadata(
        ctx, ctx.params["studyInstanceUid"], ctx.params["seriesInstanceUid"], ctx.params["sopInstanceUid"]
    )
