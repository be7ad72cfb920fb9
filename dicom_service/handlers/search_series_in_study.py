"""Handler of searchSeriesInStudy: Search for series in a study

Handles GET on:
    /studies/{studyInstanceUid}/series
    /partitions/{partitionName}/studies/{studyInstanceUid}/series
"""

from starlette.responses import Response

from dicom_service.search.http import search
from dicom_service.search.query import Resource
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await search(ctx, Resource.STUDY_SERIES)
