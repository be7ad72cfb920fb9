"""Handler of retrieveRenderedFrame: Retrieve a rendered frame

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/frames/{frame}/rendered
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/frames/{frame}/rendered
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.web.retrieve import rendered


async def handle(ctx: OperationContext) -> Response:
    return await rendered(ctx, ctx.params["frame"])
