"""Readiness: can this service reach its index database and its blob store right now?

Each check runs in a thread with a short timeout (a database that hangs makes the check fail, not wait) and
its result is kept for `CACHE_SECONDS`, so a load balancer probing every second costs the engines one
query per cache period. The index check is the count of long-running operations by status, which the
metrics report too.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from dicom_service.settings import Settings
from dicom_service.storage.operations_schema import operation

TIMEOUT_SECONDS = 2.0
CACHE_SECONDS = 2.0
OK = "ok"


@dataclass(frozen=True)
class Readiness:
    index: str  # "ok", or why the index database cannot be used
    blobs: str  # "ok", or why the blob store cannot be used
    operations: dict[str, int] = field(default_factory=dict)  # status → count, when the index answered

    @property
    def ready(self) -> bool:
        return self.index == OK and self.blobs == OK

    def answer(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "unavailable", "index": self.index, "blobs": self.blobs}


class Probe:
    """The checks of one service's engines, through connections of its own (never the workers' pools)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        options: dict[str, Any] = {"poolclass": NullPool}
        if settings.index_engine == "postgresql":
            options["connect_args"] = {"connect_timeout": max(1, int(TIMEOUT_SECONDS))}
        self.engine = create_engine(settings.index_url, **options)
        self._container: Any = None
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readiness")
        self._lock = threading.Lock()
        self._last: tuple[float, Readiness] | None = None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()

    def readiness(self) -> Readiness:
        """The last result if it is recent, else a new one (one check at a time; others wait for it)."""
        with self._lock:
            if self._last is not None and time.monotonic() - self._last[0] < CACHE_SECONDS:
                return self._last[1]
            index = self._pool.submit(self._count_operations)
            blobs = self._pool.submit(self._check_blobs)
            counts, index_state = _outcome(index)
            _, blobs_state = _outcome(blobs)
            result = Readiness(index_state, blobs_state, counts or {})
            self._last = (time.monotonic(), result)
            return result

    def _count_operations(self) -> dict[str, int]:
        query = select(operation.c.status, func.count()).group_by(operation.c.status)
        with self.engine.connect() as connection:
            return {str(status): int(count) for status, count in connection.execute(query)}

    def _check_blobs(self) -> None:
        folder = self.settings.blob_folder
        if folder is not None:
            if not folder.is_dir():
                raise OSError(f"{folder} is not a folder")
            return
        if self._container is None:
            from dicom_service.storage import azure

            assert self.settings.azure_connection_string and self.settings.azure_container
            self._container = azure.container(
                self.settings.azure_connection_string, self.settings.azure_container
            )
        self._container.get_container_properties(retry_total=0, timeout=int(TIMEOUT_SECONDS))


def _outcome(future: Future[Any]) -> tuple[Any, str]:
    try:
        return future.result(timeout=TIMEOUT_SECONDS), OK
    except FutureTimeout:
        return None, f"no answer within {TIMEOUT_SECONDS:g} s"
    except Exception as exc:
        text = str(exc).strip().splitlines()
        return None, f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
