"""Handler of retrieveRenderedSeries: Retrieve a rendered series

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/rendered
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/rendered
"""

from starlette.responses import Response

from dicom_service.retrieve.rendered_sets import rendered_set
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await rendered_set(ctx)
