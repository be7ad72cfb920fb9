"""Handler of retrieveStudy: Retrieve a study

Handles GET on:
    /studies/{studyInstanceUid}
    /partitions/{partitionName}/studies/{studyInstanceUid}
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.web.retrieve import instances


async def handle(ctx: OperationContext) -> Response:
    return await instances(ctx, ctx.params["studyInstanceUid"])
