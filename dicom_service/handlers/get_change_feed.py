"""Handler of getChangeFeed: Read the change feed

Handles GET on:
    /changefeed
"""

from starlette.responses import Response

from dicom_service.changefeed.http import feed
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await feed(ctx)
