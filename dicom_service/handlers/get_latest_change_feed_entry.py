"""Handler of getLatestChangeFeedEntry: Read the latest change feed entry

Handles GET on:
    /changefeed/latest
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.web.changefeed import latest


async def handle(ctx: OperationContext) -> Response:
    return await latest(ctx)
