"""The service's Prometheus metrics, one definition each, shared by every process of a service.

`make serve` points `PROMETHEUS_MULTIPROC_DIR` at a private folder before any worker imports this module, so
each worker writes its values there and the admin listener adds them up (`prometheus_client.multiprocess`).
Gauges of processes that stopped are dropped from the sums (`livesum`); counters keep what they counted.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Engine, event

ANONYMOUS = "anonymous"
NO_VERSION = "none"  # a route without a registered version (404, 400 UnsupportedApiVersion)

REQUESTS = Counter(
    "dicomweb_requests",
    "Requests answered, by API version, operation, status and calling client",
    ["api_version", "operation", "status", "client"],
)
DURATION = Histogram(
    "dicomweb_request_duration_seconds",
    "Time from the request's arrival to the last byte of its answer",
    ["api_version", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
RECEIVED_BYTES = Counter(
    "dicomweb_request_bytes", "Request body bytes received", ["api_version", "operation"]
)
SERVED_BYTES = Counter("dicomweb_response_bytes", "Response body bytes sent", ["api_version", "operation"])
ABORTED = Counter(
    "dicomweb_requests_aborted",
    "Requests the client abandoned before its answer was complete",
    ["api_version", "operation"],
)
IN_FLIGHT = Gauge("dicomweb_requests_in_flight", "Requests being answered", multiprocess_mode="livesum")
STORED_BYTES = Counter("dicomweb_stored_bytes", "Bytes of instance files written to the blob store")
BLOB_ERRORS = Counter("dicomweb_blob_store_errors", "Blob store calls that failed, by action", ["action"])
UNAVAILABLE = Counter(
    "dicomweb_engine_unavailable",
    "Requests answered 503 because a storage engine failed or was too slow, by engine",
    ["engine"],
)
POOL_IN_USE = Gauge(
    "dicomweb_index_connections_in_use",
    "Index database connections checked out of the pools of the service's processes",
    multiprocess_mode="livesum",
)


def watch_pool(engine: Engine) -> None:
    """Count the engine's checked-out connections in POOL_IN_USE."""

    def checked_out(*_: Any) -> None:
        POOL_IN_USE.inc()

    def checked_in(*_: Any) -> None:
        POOL_IN_USE.dec()

    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "checkin", checked_in)
