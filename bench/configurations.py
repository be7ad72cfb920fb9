"""The storage configurations the DICOMweb comparison runs, one section each: what runs below both servers,
and each round's pair of servers on fresh empty stores.

- `Embedded`: ours as `make serve` runs it by default, one process over SQLite and a folder; Orthanc on its
  default, SQLite and a folder.
- `Distributed`: ours as `make serve` with WORKERS=2 over PostgreSQL (durable settings) and Azurite; Orthanc
  one process with its index in the same PostgreSQL cluster when Debian's `orthanc-postgresql` is installed,
  its files in a folder either way (Debian has no object-storage plugin for Orthanc). The cluster and Azurite
  start once per section and stop by PID at its end, even on failure; every round gets new databases and a
  new container, so it starts empty.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Protocol

from bench import orthanc
from bench.servers import Server, free_port
from tests.engines import Engines, missing_engines, start_engines

OURS = "ours"
WORKERS = 2


class Configuration(Protocol):
    title: str  # the section's header: what ours runs on
    memory: str  # the peak RSS row's label: how it is counted
    notes: tuple[str, ...]  # printed below the table

    def missing(self) -> str | None:
        """Why this configuration cannot run here, or None."""
        ...

    def opened(self) -> AbstractContextManager[object]:
        """The engines below the servers, running for the section."""
        ...

    def ours(self, scratch: Path) -> Server: ...

    def peer(self, peer: orthanc.Orthanc, scratch: Path) -> Server: ...

    def peer_title(self, peer: orthanc.Orthanc) -> str: ...


def ours_server(scratch: Path, command: list[str], env: dict[str, str], workers: int = 0) -> Server:
    """`python -m <command>` on a free loopback port without an access log, its data under `scratch`."""
    port = free_port()
    command = [sys.executable, "-m", *command, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning"]  # no access log
    env = {**os.environ, "DATA_DIR": str(scratch / "data"), **env}
    base = f"http://127.0.0.1:{port}"
    return Server(
        OURS, command, base, "/v2", "/v2/studies", scratch / "service.log", env=env, workers=workers
    )


class Embedded:
    title = "ours: SQLite + folder, 1 process"
    memory = "peak RSS of the server process"
    notes: tuple[str, ...] = ()

    def missing(self) -> str | None:
        return None

    def opened(self) -> AbstractContextManager[object]:
        return nullcontext()

    def ours(self, scratch: Path) -> Server:
        """The real service: uvicorn in this interpreter, its index and files under `scratch`."""
        return ours_server(scratch, ["uvicorn", "dicom_service.app:app"], {})

    def peer(self, peer: orthanc.Orthanc, scratch: Path) -> Server:
        return orthanc.server(peer, scratch)

    def peer_title(self, peer: orthanc.Orthanc) -> str:
        return "Orthanc: SQLite + folder (its default), 1 process"


class Distributed:
    title = f"ours: PostgreSQL + Azurite, {WORKERS} processes"
    memory = f"peak RSS (ours: sum of its {WORKERS} workers' VmHWM)"
    notes = (
        "(PostgreSQL with durable settings and Azurite on this machine, loopback; each round on new "
        "databases and a new container)",
        f"(the one sequential client keeps one connection, so one of the {WORKERS} processes serves it; "
        "`bench scale` measures 1 versus 2 processes under concurrent clients)",
    )

    def __init__(self) -> None:
        self.engines: Engines | None = None

    def missing(self) -> str | None:
        return missing_engines()

    @contextmanager
    def opened(self) -> Iterator[object]:
        self.engines = start_engines(durable=True)
        try:
            yield self.engines
        finally:
            self.engines.stop()
            self.engines = None

    def _engines(self) -> Engines:
        if self.engines is None:
            raise RuntimeError("the engines are not running: use the configuration within opened()")
        return self.engines

    def ours(self, scratch: Path) -> Server:
        """`make serve` with WORKERS=2 over a new database and a new container."""
        storage = {**self._engines().storage_environment(), "WORKERS": str(WORKERS)}
        return ours_server(scratch, ["dicom_service.serve"], storage, workers=WORKERS)

    def peer(self, peer: orthanc.Orthanc, scratch: Path) -> Server:
        if peer.postgres_index is None:
            return orthanc.server(peer, scratch)
        return orthanc.server(peer, scratch, self._engines().postgres.new_database())

    def peer_title(self, peer: orthanc.Orthanc) -> str:
        if peer.postgres_index is None:
            return (
                f"Orthanc: SQLite + folder (its default; {orthanc.POSTGRES_PACKAGE} not installed), 1 process"
            )
        return "Orthanc: PostgreSQL index + folder (no object-storage plugin in Debian), 1 process"


CONFIGURATIONS: tuple[Configuration, ...] = (Embedded(), Distributed())
