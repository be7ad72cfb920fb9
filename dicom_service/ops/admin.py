"""The admin listener (`ADMIN_PORT`): health, readiness and Prometheus metrics, apart from the API.

One listener per service, in the process `make serve` starts (with several workers, the supervising parent),
in a thread of its own; it reads the workers' metrics from the shared multi-process folder.

- `GET /health/live`: 200 while the process runs, draining included.
- `GET /health/ready`: 200 when the index database and the blob store answer, else 503 with `Retry-After`
  and the reason per engine (`health.Probe`: short timeout, cached result); 503 too from the moment the
  service begins to stop (SIGTERM), so a load balancer sends it nothing new while it drains.
- `GET /metrics`: the Prometheus text format: every worker's metrics, and the operations by status.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dicom_service.ops import multiproc
from dicom_service.ops.bounded_stop import StopState
from dicom_service.ops.health import Probe

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
RETRY_SECONDS = 5


class OperationsCollector(Collector):
    """Long-running operations by status, from the index (the readiness check's cached count)."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe

    def collect(self) -> Iterator[Metric]:
        readiness = self.probe.readiness()
        family = GaugeMetricFamily(
            "dicomweb_operations", "Long-running operations in the index, by status", labels=["status"]
        )
        for status in ("notStarted", "running", "succeeded", "failed", "canceled"):
            family.add_metric([status], readiness.operations.get(status, 0))
        yield family
        ready = GaugeMetricFamily("dicomweb_ready", "1 when the index database and the blob store answer")
        ready.add_metric([], 1 if readiness.ready else 0)
        yield ready


def create_admin_app(probe: Probe, metrics_dir: Path, state: StopState | None = None) -> Starlette:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir))  # type: ignore[no-untyped-call]
    registry.register(OperationsCollector(probe))

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "live"})

    async def ready(request: Request) -> Response:
        if state is not None and state.stopping:
            body = {"status": "stopping", "left_seconds": round(state.left(), 1)}
            return JSONResponse(body, 503, headers={"Retry-After": str(RETRY_SECONDS)})
        readiness = await run_in_threadpool(probe.readiness)
        if readiness.ready:
            return JSONResponse(readiness.answer())
        return JSONResponse(readiness.answer(), 503, headers={"Retry-After": str(RETRY_SECONDS)})

    async def metrics(request: Request) -> Response:
        def scrape() -> bytes:
            multiproc.forget_dead_workers(metrics_dir)
            return generate_latest(registry)

        return Response(await run_in_threadpool(scrape), media_type=PROMETHEUS_TEXT)

    routes = [
        Route("/health/live", live, methods=["GET"]),
        Route("/health/ready", ready, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    return Starlette(routes=routes)


class AdminServer:
    """The admin app under uvicorn in a daemon thread of this process."""

    def __init__(
        self, probe: Probe, metrics_dir: Path, host: str, port: int, state: StopState | None = None
    ) -> None:
        self.probe = probe
        config = uvicorn.Config(
            create_admin_app(probe, metrics_dir, state),
            host=host,
            port=port,
            lifespan="off",
            access_log=False,
            log_config=None,
        )
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None
        self.failed: BaseException | None = None

    def _run(self, listener: socket.socket) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[listener]))
        except BaseException as exc:  # reported by start(), not lost in the thread
            self.failed = exc

    def start(self, timeout: float = 10.0) -> None:
        """Listen, or raise OSError naming the address (in use, not this machine's) within `timeout`."""
        config = self.server.config
        try:
            listener = socket.create_server((config.host, config.port))
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise OSError(f"cannot listen on {config.host}:{config.port}: {reason}") from None
        self.thread = threading.Thread(target=self._run, args=(listener,), name="admin", daemon=True)
        self.thread.start()
        waited = threading.Event()
        for _ in range(int(timeout * 20)):
            if self.server.started or not self.thread.is_alive():
                break
            waited.wait(0.05)
        if not self.server.started:
            listener.close()
            raise OSError(f"cannot serve on {config.host}:{config.port}: {self.failed or 'it did not start'}")

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=5)
        self.probe.close()
