"""What checking a request against its contract costs, per request.

In process, through ASGI (no sockets), against the mock, so the handler's own work is the same small constant
on both sides: each JSON-body operation with its body checked (schema compiled at start-up, jsonschema-rs),
against the same app with the body checks switched off. Also the checker alone (parse + validate) on a
small and a large DICOM JSON body.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from bench.service import Asgi, send_many
from dicom_service.app import create_app
from dicom_service.web.body_validation import compile_validators
from dicom_service.web.contracts import load_contracts
from dicom_service.web.routing import VersionedPath

REQUESTS = 2000
ROUNDS = 5
DICOM_JSON = "application/dicom+json"
WORKITEM = {
    "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]},
    "00100020": {"vr": "LO", "Value": ["PAT-0001"]},
    "00741000": {"vr": "CS", "Value": ["SCHEDULED"]},
    "00404005": {"vr": "DT", "Value": ["20240101100000"]},
    "0040A370": {"vr": "SQ", "Value": [{"00080050": {"vr": "SH", "Value": ["ACC-0001"]}}]},
}
CASES = [
    ("add query tags", "/v2/extendedquerytags", "application/json", [{"path": "00100040", "level": "study"}]),
    ("create workitem", "/v2/workitems", DICOM_JSON, [WORKITEM]),
    (
        "bulk update",
        "/v2/studies/$bulkUpdate",
        "application/json",
        {"studyInstanceUids": ["1.2.3"], "changeDataset": {"00100010": {"vr": "PN", "Value": ["X^Y"]}}},
    ),
]


def _without_body_checks() -> Asgi:
    app = create_app(mock=True)
    for route in app.routes:
        endpoint = getattr(route, "app", None)
        if isinstance(endpoint, VersionedPath):
            endpoint.bodies = {}
    return app


async def _drive(app: Asgi, path: str, media_type: str, body: bytes, count: int) -> float:
    accept = DICOM_JSON if media_type == DICOM_JSON else "application/json"
    headers = {"accept": accept, "content-type": media_type, "content-length": str(len(body))}
    seconds, status = await send_many(app, "POST", path, headers, body, count)
    if any(code >= 300 for code in status):
        raise RuntimeError(f"POST {path} answered {sorted(status)}")
    return seconds


def _checker_alone() -> list[str]:
    schemas = load_contracts()["2"]["createWorkitem"].body_schemas
    validator = compile_validators(schemas, {})[DICOM_JSON]
    lines = []
    for label, items in (("1 data set", 1), ("200 data sets", 200)):
        raw = json.dumps([WORKITEM] * items).encode()
        count = 2000 if items == 1 else 50
        started = time.perf_counter()
        for _ in range(count):
            validator.check(raw)
        per = (time.perf_counter() - started) / count
        lines.append(f"checker alone, workitem body of {label} ({len(raw):,} bytes): {per * 1e6:8.1f} µs")
    return lines


def run() -> list[str]:
    checked, unchecked = create_app(mock=True), _without_body_checks()
    lines = []
    for label, path, media_type, body in CASES:
        raw = json.dumps(body).encode()
        times: dict[str, list[float]] = {"checked": [], "unchecked": []}
        for _ in range(ROUNDS):  # interleaved rounds, so drift in machine load hits both sides alike
            times["checked"].append(asyncio.run(_drive(checked, path, media_type, raw, REQUESTS)))
            times["unchecked"].append(asyncio.run(_drive(unchecked, path, media_type, raw, REQUESTS)))
        with_check, without = statistics.median(times["checked"]), statistics.median(times["unchecked"])
        lines.append(
            f"{label:15} {with_check * 1e6:7.1f} µs/request with the body check, "
            f"{without * 1e6:7.1f} without: "
            f"{(with_check - without) * 1e6:+6.1f} µs ({(with_check / without - 1) * 100:+.1f}%)"
        )
    lines += _checker_alone()
    lines.append(f"(in-process ASGI against the mock, median of {ROUNDS}x{REQUESTS})")
    return lines
