"""A handler that raises: 500 with a short generic body and a request id, the traceback only in the log.

The id is in the body, in the `X-Request-Id` header and on the log line, so a client's report leads to the
traceback without the client ever seeing it.
"""

from __future__ import annotations

import logging
import uuid

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

logger = logging.getLogger("dicom_service")
REQUEST_ID_HEADER = "X-Request-Id"


def new_request_id() -> str:
    return uuid.uuid4().hex


def internal_error(request: Request, exc: BaseException) -> Response:
    request_id = str(request.scope.get("state", {}).get("request_id") or new_request_id())
    logger.error(
        "request %s: %s %s failed with %s",
        request_id,
        request.method,
        request.url.path,
        type(exc).__name__,
        exc_info=exc,
    )
    return PlainTextResponse(
        f"An internal error occurred. Request id: {request_id}.",
        500,
        headers={REQUEST_ID_HEADER: request_id},
    )
