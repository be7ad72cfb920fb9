"""Handler of searchSeries: Search for series

Handles GET on:
    /series
    /partitions/{partitionName}/series
"""

from starlette.responses import Response

from dicom_service.search.http import search
from dicom_service.search.query import Resource
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await search(ctx, Resource.SERIES)
