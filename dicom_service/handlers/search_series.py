"""Handler of searchSeries: Search for series

Handles GET on:
    /series
    /partitions/{partitionName}/series
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.dicom.query import Resource
from dicom_service.web.search import search


async def handle(ctx: OperationContext) -> Response:
    return await search(ctx, Resource.SERIES)
