"""The service's processes as `make serve` runs them: uvicorn with the admin listener beside it.

- The admin listener (`ADMIN_PORT`) runs in this process, in a thread: one per service whatever `WORKERS`
  says (with several workers this is uvicorn's supervising parent). The workers write their metrics into a
  private folder made here before any of them starts, which the listener reads.
- Logs are JSON lines on standard error (`ops.logs`); uvicorn's access log is off (`ops.access` writes one
  line per request instead).
- SIGTERM: readiness answers 503 at once; uvicorn stops accepting, lets requests in flight finish for up to
  `DICOM_SHUTDOWN_SECONDS`, then stops the application (which hands its running operation back), and the
  process exits 0. A process still there `APPLICATION_STOP_SECONDS` later is killed and named in the log,
  and the exit code is 1 (`ops.bounded_stop`). With several workers, SIGHUP replaces them one after the
  other (a rolling restart), each stopped the same way.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

import uvicorn

from dicom_service.ops import multiproc
from dicom_service.ops.bounded_stop import (
    APPLICATION_STOP_SECONDS,
    START_SECONDS,
    BoundedMultiprocess,
    BoundedServer,
    StopState,
)
from dicom_service.ops.handoff import Handoff
from dicom_service.ops.logs import log_config
from dicom_service.ops.settings import OpsSettings
from dicom_service.settings import Settings
from dicom_service.web.protocol import GuardedProtocol


def run(app: str, settings: Settings, ops: OpsSettings, host: str, port: int, log_level: str) -> int:
    """Serve until SIGTERM or SIGINT; the exit code (2 when the admin port cannot be used)."""
    folder: Path | None = None
    admin = None
    state = StopState(bound_seconds=ops.shutdown_seconds + APPLICATION_STOP_SECONDS)
    if ops.admin_port is not None:
        folder = multiproc.private_folder()  # named before prometheus_client is imported, here or in a worker
        state.leftovers = folder
        from dicom_service.ops.admin import AdminServer
        from dicom_service.ops.health import Probe

        admin = AdminServer(Probe(settings), folder, ops.admin_host, ops.admin_port, state)
        try:
            admin.start()
        except OSError as exc:
            multiproc.remove(folder)
            print(f"error: ADMIN_PORT: {exc}", file=sys.stderr)
            return 2
    # uvicorn raises the SIGTERM it handled again once it has stopped, to the handler it found: this one,
    # so that a graceful stop ends with status 0 rather than as killed by the signal.
    signal.signal(signal.SIGTERM, _stopped)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=settings.workers,
        log_level=log_level,
        log_config=log_config(log_level),
        access_log=False,
        timeout_graceful_shutdown=ops.shutdown_seconds,
        timeout_worker_healthcheck=int(START_SECONDS),
        http=GuardedProtocol,  # the connection cap and the deadline for request headers
        limit_concurrency=settings.limits.connections,
        timeout_keep_alive=settings.limits.keep_alive_timeout,
    )
    code = 0
    try:
        if config.workers > 1:  # as uvicorn.run, with the bounded supervisor
            listener = config.bind_socket()
            supervisor = BoundedMultiprocess(
                config, sockets=[listener], state=state, handoff=Handoff(listener, config.backlog)
            )
            supervisor.run()
            code = supervisor.exit_code
        else:
            config.load_app()
            server = BoundedServer(config=config, state=state)
            server.run()
            code = 0 if server.started else 3  # 3: uvicorn's start-up failure
    except KeyboardInterrupt:  # SIGINT, raised again by uvicorn once it has stopped
        pass
    finally:
        if admin is not None:
            admin.stop()
        if folder is not None:
            multiproc.remove(folder)
    return code


def _stopped(signum: int, frame: FrameType | None) -> None:
    """SIGTERM outside uvicorn's own handling (before it starts, or once it has stopped): exit 0."""
    raise SystemExit(0)
