"""One audit record per request on the logger `dicom_service.audit`, as one JSON object: who (subject,
client), what (operation, version, partition, study UID), the result (status) and the request id.

Nothing else of the request is written: no query values, no patient attributes, no token.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from starlette.types import Scope

from dicom_service.partitions.default import DEFAULT_PARTITION
from dicom_service.web.failures import new_request_id

LOGGER = logging.getLogger("dicom_service.audit")


def request_id(scope: Scope) -> str:
    """The request's id, made once and kept in the scope's state for every record of the request."""
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = new_request_id()
    return str(state["request_id"])


def record(scope: Scope, operation: str | None, version: str | None, status: int) -> None:
    if not LOGGER.isEnabledFor(logging.INFO):
        return
    params = scope.get("path_params") or {}
    principal = (scope.get("state") or {}).get("principal")
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "request_id": request_id(scope),
        "subject": getattr(principal, "subject", None),
        "client": getattr(principal, "client_id", None),
        "operation": operation,
        "version": version,
        "method": scope.get("method"),
        "partition": params.get("partitionName", DEFAULT_PARTITION),
        "study": params.get("studyInstanceUid"),
        "status": status,
        "result": "allowed" if status < 400 else "refused" if status in (401, 403) else "failed",
    }
    LOGGER.info(json.dumps(entry, separators=(",", ":")))


def log_to_stderr() -> None:
    """The service process writes its audit records to standard error, one JSON line each."""
    if not LOGGER.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOGGER.addHandler(handler)
        LOGGER.setLevel(logging.INFO)
        LOGGER.propagate = False
