"""Handler of searchInstancesInSeries: Search for instances in a series

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.dicom.query import Resource
from dicom_service.web.search import search


async def handle(ctx: OperationContext) -> Response:
    return await search(ctx, Resource.SERIES_INSTANCES)
