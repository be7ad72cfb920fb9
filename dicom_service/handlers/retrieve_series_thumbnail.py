"""Handler of retrieveSeriesThumbnail: Retrieve a series thumbnail

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/thumbnail
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/thumbnail
"""

from starlette.responses import Response

from dicom_service.retrieve.http import thumbnail
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await thumbnail(ctx)
