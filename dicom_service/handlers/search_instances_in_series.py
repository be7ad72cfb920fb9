"""Handler of searchInstancesInSeries: Search for instances in a series

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances
"""

from starlette.responses import Response

from dicom_service.search.http import search
from dicom_service.search.query import Resource
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await search(ctx, Resource.SERIES_INSTANCES)
