"""Handler of retrieveStudyMetadata: Retrieve study metadata

Handles GET on:
    /studies/{studyInstanceUid}/metadata
    /partitions/{partitionName}/studies/{studyInstanceUid}/metadata
"""

from starlette.responses import Response

from dicom_service.retrieve.metadata import metadata
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await metadata(ctx, ctx.params["studyInstanceUid"])
