"""503 Service Unavailable with `Retry-After`: the one answer of a service that cannot take the request now
(saturated, or an engine away for a moment), so a client backs off and retries instead of failing."""

from __future__ import annotations

from starlette.responses import PlainTextResponse, Response

RETRY_AFTER_SECONDS = 1  # a saturated process frees a CPU worker within about a request's time


def unavailable(message: str, retry_after: int = RETRY_AFTER_SECONDS) -> Response:
    """503 naming why, with `Retry-After` in seconds."""
    return PlainTextResponse(message, 503, headers={"Retry-After": str(retry_after)})
