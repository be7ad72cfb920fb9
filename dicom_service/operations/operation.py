"""Long-running operations: their record, their states, and the state document `GET /operations/{id}` shows.

The stored success status is `succeeded`; the version's behaviour decides how it is reported (`completed`
in version 1). Links are kept relative to the version root and made absolute in the request's own version.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NOT_STARTED, RUNNING, SUCCEEDED, FAILED, CANCELED = "notStarted", "running", "succeeded", "failed", "canceled"
ACTIVE = (NOT_STARTED, RUNNING)
REINDEX, EXPORT, UPDATE = "reindex", "export", "update"
MAX_ATTEMPTS = (
    3  # starts of one operation (first run and takeovers after a lost process) before it ends failed
)
SECRET = "secret"  # the spec key of credentials an operation holds while it runs, dropped when it ends
# A running operation whose owner has not renewed its heartbeat for this long is claimable again: its process
# stopped or lost the database. Long enough to ride out a database hiccup of a few seconds (the owner renews
# every third of it), short enough that a sibling resumes the work soon after a crash.
LEASE_SECONDS = 30.0


_woken = [float("-inf")]  # when an operation was last added in this process (time.monotonic)


def wake_workers() -> None:
    """An operation was added here: this process's worker polls at its quick pace for a while (the adding
    transaction may commit a moment later), instead of its idle one."""
    _woken[0] = time.monotonic()


def woken_within(seconds: float) -> bool:
    return time.monotonic() - _woken[0] < seconds


def new_id() -> str:
    return uuid.uuid4().hex


def normal_id(text: str) -> str:
    """The stored form of an operation ID given with or without hyphens."""
    return text.replace("-", "").lower()


@dataclass(frozen=True)
class Operation:
    id: str
    type: str
    status: str
    partition: str
    created: str
    updated: str
    percent: int
    attempts: int
    spec: dict[str, Any]
    checkpoint: Any
    resources: list[str]
    results: dict[str, Any] | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def state(op: Operation, succeeded_status: str, url: Callable[..., str]) -> dict[str, Any]:
    """The OperationState document; `url(*segments)` makes a link in the request's version."""
    body: dict[str, Any] = {
        "operationId": op.id,
        "type": op.type,
        "createdTime": op.created,
        "lastUpdatedTime": op.updated,
        "status": succeeded_status if op.status == SUCCEEDED else op.status,
        "percentComplete": op.percent,
    }
    if op.resources:
        body["resources"] = [url(*path.split("/")) for path in op.resources]
    if op.results is not None:
        body["results"] = op.results
    return body


def reference(op_id: str, url: Callable[..., str]) -> dict[str, str]:
    return {"id": op_id, "href": url("operations", op_id)}
