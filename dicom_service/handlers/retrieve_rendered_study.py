"""Handler of retrieveRenderedStudy: Retrieve a rendered study

Handles GET on:
    /studies/{studyInstanceUid}/rendered
    /partitions/{partitionName}/studies/{studyInstanceUid}/rendered
"""

from starlette.responses import Response

from dicom_service.retrieve.rendered_sets import rendered_set
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await rendered_set(ctx)
