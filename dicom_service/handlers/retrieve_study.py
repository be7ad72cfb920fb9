"""Handler of retrieveStudy: Retrieve a study

Handles GET on:
    /studies/{studyInstanceUid}
    /partitions/{partitionName}/studies/{studyInstanceUid}
"""

from starlette.responses import Response

from dicom_service.retrieve.http import instances
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await instances(ctx, ctx.params["studyInstanceUid"])
