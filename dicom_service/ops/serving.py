"""The service's processes as `make serve` runs them: uvicorn with the admin listener beside it.

- The admin listener (`ADMIN_PORT`) runs in this process, in a thread: one per service whatever `WORKERS`
  says (with several workers this is uvicorn's supervising parent). The workers write their metrics into a
  private folder made here before any of them starts, which the listener reads.
- Logs are JSON lines on standard error (`ops.logs`); uvicorn's access log is off (`ops.access` writes one
  line per request instead).
- SIGTERM: uvicorn stops accepting, lets requests in flight finish for up to `DICOM_SHUTDOWN_SECONDS`, then
  stops the application (which hands its running operation back), and the process exits 0. With several
  workers, SIGHUP replaces them one after the other (a rolling restart), each stopped the same way.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

import uvicorn

from dicom_service.ops import multiproc
from dicom_service.ops.logs import log_config
from dicom_service.ops.settings import OpsSettings
from dicom_service.settings import Settings
from dicom_service.web.protocol import GuardedProtocol

HEALTHCHECK_SECONDS = 90  # uvicorn's 5 s restarts a worker that a busy machine is slow to start, and SIGHUP
# gives up replacing workers whose new one is not ready by then (seen past 30 s on a busy 2-core machine)


def run(app: str, settings: Settings, ops: OpsSettings, host: str, port: int, log_level: str) -> int:
    """Serve until SIGTERM or SIGINT; the exit code (2 when the admin port cannot be used)."""
    folder: Path | None = None
    admin = None
    if ops.admin_port is not None:
        folder = multiproc.private_folder()  # named before prometheus_client is imported, here or in a worker
        from dicom_service.ops.admin import AdminServer
        from dicom_service.ops.health import Probe

        admin = AdminServer(Probe(settings), folder, ops.admin_host, ops.admin_port)
        try:
            admin.start()
        except OSError as exc:
            multiproc.remove(folder)
            print(f"error: ADMIN_PORT: {exc}", file=sys.stderr)
            return 2
    # uvicorn raises the SIGTERM it handled again once it has stopped, to the handler it found: this one,
    # so that a graceful stop ends with status 0 rather than as killed by the signal.
    signal.signal(signal.SIGTERM, _stopped)
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            workers=settings.workers,
            log_level=log_level,
            log_config=log_config(log_level),
            access_log=False,
            timeout_graceful_shutdown=ops.shutdown_seconds,
            timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
            http=GuardedProtocol,  # the connection cap and the deadline for request headers
            limit_concurrency=settings.limits.connections,
            timeout_keep_alive=settings.limits.keep_alive_timeout,
        )
    finally:
        if admin is not None:
            admin.stop()
        if folder is not None:
            multiproc.remove(folder)
    return 0


def _stopped(signum: int, frame: FrameType | None) -> None:
    """SIGTERM outside uvicorn's own handling (before it starts, or once it has stopped): exit 0."""
    raise SystemExit(0)
