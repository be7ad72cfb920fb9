"""Handler of getChangeFeed: Read the change feed

Handles GET on:
    /changefeed
"""

from starlette.responses import Response

from dicom_service.context import OperationContext
from dicom_service.web.changefeed import feed


async def handle(ctx: OperationContext) -> Response:
    return await feed(ctx)
