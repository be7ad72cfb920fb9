"""Handler of retrieveStudyMetadata: Retrieve study metadata

Handles GET on:
    /studies/{studyInstanceUid}/metadata
    /partitions/{partitionName}/studies/{studyInstanceUid}/metadata
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.web.metadata import metadata


async def handle(ctx: OperationContext) -> Response:
    return await metadata(ctx, ctx.params["studyInstanceUid"])
