"""Handler of searchStudies: Search for studies

Handles GET on:
    /studies
    /partitions/{partitionName}/studies
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.dicom.query import Resource
from dicom_service.web.search import search


async def handle(ctx: OperationContext) -> Response:
    return await search(ctx, Resource.STUDIES)
