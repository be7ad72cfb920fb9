"""Handler of getExtendedQueryTag: Get an extended query tag

Handles GET on:
    /extendedquerytags/{tagPath}
"""

from __future__ import annotations

from starlette.responses import Response

from dicom_service.query_tags.http import answer, named_tag
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    tag = await named_tag(ctx)
    return tag if isinstance(tag, Response) else answer(ctx, tag)
