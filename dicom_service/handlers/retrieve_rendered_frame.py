"""Handler of retrieveRenderedFrame: Retrieve a rendered frame

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/frames/{frame}/rendered
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/frames/{frame}/rendered
"""

from starlette.responses import Response

from dicom_service.retrieve.http import rendered
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await rendered(ctx, ctx.params["frame"])
