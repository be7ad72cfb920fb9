"""Answers that start a long-running operation: 202, the operation's reference and its `Location`.

Operations live at the version root (`/v2/operations/{id}`), also when started on a partition route.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import JSONResponse, Response

from dicom_service.operations import operation as ops
from dicom_service.web.context import OperationContext


def root_url(ctx: OperationContext) -> Callable[..., str]:
    """`url(*segments)`: an absolute link under the request's version root, outside any partition."""
    base = f"{ctx.request.url.scheme}://{ctx.request.url.netloc}/{ctx.request.path_params['api_version']}"
    return lambda *segments: "/".join([base, *segments])


def started(ctx: OperationContext, op_id: str) -> Response:
    reference = ops.reference(op_id, root_url(ctx))
    return JSONResponse(reference, 202, {"Location": reference["href"]})
