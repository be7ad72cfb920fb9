"""A storage engine that fails or is too slow while a request runs: 503 with `Retry-After`, not a 500.

None of these is the client's fault nor a bug, and each passes (`storage.faults`), so the client is told to
retry. The log gets one warning line with the request id and the reason, no traceback; the metrics count it
per engine.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from dicom_service.ops.metrics import UNAVAILABLE
from dicom_service.storage.faults import DISK, engine_of, first_line
from dicom_service.web.unavailable import unavailable

logger = logging.getLogger("dicom_service")
RETRY_AFTER_SECONDS = 5  # an engine restarting takes seconds, not milliseconds


def engine_unavailable(request: Request, exc: BaseException) -> Response | None:
    """503 + Retry-After naming the engine when `exc` is an engine's failure; None otherwise."""
    engine = engine_of(exc)
    if engine is None:
        return None
    UNAVAILABLE.labels(engine).inc()
    rid = request.scope.get("state", {}).get("request_id", "-")
    logger.warning("request %s: the %s is unavailable: %s", rid, engine, first_line(exc))
    if engine == DISK:
        message = "The service's data disk is full; try again later."
    else:
        message = f"The service's {engine} is unavailable; try again later."
    return unavailable(message, RETRY_AFTER_SECONDS)
