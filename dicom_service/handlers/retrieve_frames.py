"""Handler of retrieveFrames: Retrieve frames

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/frames/{frames}
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/frames/{frames}
"""

from starlette.responses import Response

from dicom_service.retrieve.http import frames
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await frames(ctx, [int(n) for n in ctx.params["frames"].split(",")])
