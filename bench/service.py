"""Requests per second of the generated app with the versioning layer, against the same routes without it.

Both apps run in this process and are driven through ASGI directly (no sockets), so the comparison isolates
what the layer costs: resolving the version segment, the per-version operation check, and the headers.
The baseline serves the same stubs at fixed `/v2/...` paths, with the same parameter checks, content
negotiation and handlers, but no version resolution and no versioning headers.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dicom_service.app import create_app
from dicom_service.generated import manifest, operations
from dicom_service.versioning.versions import Versions
from dicom_service.web.contracts import load_contracts
from dicom_service.web.routing import OperationRoute, VersionedPath

REQUESTS = 3000
ROUNDS = 7
CASES = [
    ("QIDO search", "GET", "/studies", "PatientID=PAT-0001&limit=10", "application/dicom+json"),
    ("WADO metadata", "GET", "/studies/1.2.826.0.1.3680043.8.498.1/metadata", "", "application/dicom+json"),
    ("change feed", "GET", "/changefeed/latest", "", "application/json"),
]

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def baseline_app() -> Starlette:
    """The same routes without the versioning layer: fixed /v2 paths, straight to dispatch."""
    versions = Versions(manifest.VERSIONS, manifest.POLICY_URL)
    v2 = versions.get("2")
    contracts = load_contracts()
    by_path: dict[str, list[OperationRoute]] = {}
    for route in operations.ROUTES:
        by_path.setdefault(route.path, []).append(route)
    routes = []
    for path, table in by_path.items():
        endpoint = VersionedPath(path, table, versions, contracts, mock=True)
        methods = {r.method: r for r in table}

        async def plain(
            request: Request, endpoint: VersionedPath = endpoint, methods: dict[str, OperationRoute] = methods
        ) -> Response:
            return await endpoint.dispatch(request, v2, methods[request.method])

        routes.append(Route("/v2" + path, plain, methods=list(methods)))
    return Starlette(routes=routes)


async def send_many(
    app: Asgi, method: str, path: str, headers: dict[str, str], body: bytes, count: int, query: str = ""
) -> tuple[float, set[int]]:
    """The same request sent `count` times straight to the ASGI app: (seconds per request, statuses seen)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench"), *((k.encode(), v.encode()) for k, v in headers.items())],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    status: set[int] = set()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.add(message["status"])

    started = time.perf_counter()
    for _ in range(count):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - started) / count, status


async def _drive(app: Asgi, method: str, path: str, query: str, accept: str, count: int) -> float:
    seconds, status = await send_many(app, method, path, {"accept": accept}, b"", count, query)
    if status != {200}:
        raise RuntimeError(f"{method} {path} answered {sorted(status)}, expected 200")
    return 1 / seconds


def run() -> list[str]:
    versioned, plain = create_app(mock=True), baseline_app()
    lines = []
    losses = []
    for label, method, path, query, accept in CASES:
        rates: dict[str, list[float]] = {"versioned": [], "plain": []}
        for _ in range(ROUNDS):  # interleaved rounds, so drift in machine load hits both sides alike
            rates["versioned"].append(
                asyncio.run(_drive(versioned, method, "/v2" + path, query, accept, REQUESTS))
            )
            rates["plain"].append(asyncio.run(_drive(plain, method, "/v2" + path, query, accept, REQUESTS)))
        with_layer, without = statistics.median(rates["versioned"]), statistics.median(rates["plain"])
        loss = (1 - with_layer / without) * 100
        losses.append(loss)
        lines.append(
            f"{label:14} {with_layer:8.0f} req/s with versioning, {without:8.0f} without: {loss:+.1f}% loss"
        )
    verdict = "met" if max(losses) < 5 else "NOT met"
    lines.append(
        f"goal: under 5% loss on every route ({verdict}; worst {max(losses):+.1f}%, "
        f"in-process ASGI, median of {ROUNDS}x{REQUESTS})"
    )
    return lines
