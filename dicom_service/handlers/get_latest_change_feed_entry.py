"""Handler of getLatestChangeFeedEntry: Read the latest change feed entry

Handles GET on:
    /changefeed/latest
"""

from starlette.responses import Response

from dicom_service.changefeed.http import latest
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await latest(ctx)
