"""Handler of retrieveFrames: Retrieve frames

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/frames/{frames}
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/frames/{frames}
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.web.retrieve import frames


async def handle(ctx: OperationContext) -> Response:
    return await frames(ctx, [int(n) for n in ctx.params["frames"].split(",")])
