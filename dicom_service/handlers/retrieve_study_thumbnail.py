"""Handler of retrieveStudyThumbnail: Retrieve a study thumbnail

Handles GET on:
    /studies/{studyInstanceUid}/thumbnail
    /partitions/{partitionName}/studies/{studyInstanceUid}/thumbnail
"""

from starlette.responses import Response

from dicom_service.retrieve.http import thumbnail
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await thumbnail(ctx)
