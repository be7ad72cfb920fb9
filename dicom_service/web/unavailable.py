"""503 Service Unavailable with `Retry-After`: the one answer of a service that cannot take a request now, so
a client backs off and retries instead of failing; and the one place that decides which failures get it.

- Saturated (every CPU worker busy, the queue full): retry after `RETRY_AFTER_SECONDS`.
- Stopping (a graceful stop's bound ran out while the request ran): retry after `RETRY_AFTER_SECONDS`,
  another process (or this one, restarted) takes it.
- An engine that fails or is too slow (which one: `storage.faults.engine_of`): retry after
  `ENGINE_RETRY_AFTER_SECONDS`. None of these is the client's fault nor a bug, and each passes; the log gets
  one warning line with the request id and the reason, no traceback, and the metrics count it per engine.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from dicom_service.storage.faults import DISK, engine_of, first_line

logger = logging.getLogger("dicom_service")
RETRY_AFTER_SECONDS = 1  # a saturated process frees a CPU worker within about a request's time
ENGINE_RETRY_AFTER_SECONDS = 5  # an engine restarting takes seconds, not milliseconds
STOPPING = "The service is stopping; try again."


def unavailable(message: str, retry_after: int = RETRY_AFTER_SECONDS) -> Response:
    """503 naming why, with `Retry-After` in seconds."""
    return PlainTextResponse(message, 503, headers={"Retry-After": str(retry_after)})


def stopping() -> Response:
    return unavailable(STOPPING, RETRY_AFTER_SECONDS)


def engine_unavailable(request: Request, exc: BaseException) -> Response | None:
    """503 + Retry-After naming the engine when `exc` is an engine's failure; None otherwise (a bug)."""
    engine = engine_of(exc)
    if engine is None:
        return None
    # Imported here: `make serve` imports this module (the connection guard's Retry-After) before it names
    # the metrics folder, which must come first (ops.multiproc).
    from dicom_service.ops.metrics import UNAVAILABLE

    UNAVAILABLE.labels(engine).inc()
    rid = request.scope.get("state", {}).get("request_id", "-")
    logger.warning("request %s: the %s is unavailable: %s", rid, engine, first_line(exc))
    if engine == DISK:
        message = "The service's data disk is full; try again later."
    else:
        message = f"The service's {engine} is unavailable; try again later."
    return unavailable(message, ENGINE_RETRY_AFTER_SECONDS)
