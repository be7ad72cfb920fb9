"""The real storage engines, started by the tests on loopback in temporary folders and stopped by PID.

- PostgreSQL from Debian's packages: an initdb cluster of its own, run as the `postgres` user when the
  tests run as root (PostgreSQL refuses root; CI runs as root).
- Azurite, Microsoft's Azure Storage emulator, from npm (`make test` installs the pinned version into
  .npm/ and names it in AZURITE_BLOB).

Missing engines skip the tests that need them, unless DICOMWEB_REQUIRE_ENGINES=1 (set by .ci/run).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
from azure.storage.blob import ContainerClient

from tests.fixtures import ROOT

AZURITE = Path(os.environ.get("AZURITE_BLOB") or ROOT / ".npm" / "node_modules" / ".bin" / "azurite-blob")
# Azurite's documented development account (Azurite's README); it exists only in the emulator.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
REQUIRED = os.environ.get("DICOMWEB_REQUIRE_ENGINES") == "1"


class EngineMissing(RuntimeError):
    """An engine is not installed on this machine."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise EngineMissing("PostgreSQL is not installed (apt-get install -y postgresql)")
    return Path(found[-1]).parent


def missing_engines() -> str | None:
    """Why the engines cannot run here, or None."""
    try:
        postgres_bin()
    except EngineMissing as exc:
        return str(exc)
    if not AZURITE.exists():
        return f"Azurite is not installed ({AZURITE.relative_to(ROOT)}: run `make test` once)"
    return None


def require_engines() -> None:
    """Skip the test when the engines cannot run here; fail it instead under DICOMWEB_REQUIRE_ENGINES=1."""
    missing = missing_engines()
    if missing is not None:
        if REQUIRED:
            pytest.fail(f"DICOMWEB_REQUIRE_ENGINES=1 but {missing}")
        pytest.skip(missing)


@dataclass
class Postgres:
    """A throwaway cluster on 127.0.0.1 with trust authentication for the user `dicom`."""

    durable: bool = False  # False: fsync off, for test speed (the tests kill services, not the database)
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dicom-pg-")))

    def _as_owner(self, *command: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return list(command)

    def start(self) -> Postgres:
        bin_dir = postgres_bin()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        data = self.folder / "pg"
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "dicom", "-E", "UTF8"]
        subprocess.run(self._as_owner(*initdb), check=True, capture_output=True)
        self.resume()
        return self

    def _pg_ctl(self) -> list[str]:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        data = str(self.folder / "pg")
        return [str(postgres_bin() / "pg_ctl"), "-D", data, "-o", options, "-l", str(self.folder / "pg.log")]

    def pause(self) -> None:
        """Stop the server ("fast": open connections are cut), keeping its data for `resume`."""
        subprocess.run(
            self._as_owner(*self._pg_ctl(), "-m", "fast", "-w", "stop"), check=True, capture_output=True
        )

    def resume(self) -> None:
        """Start the server (again) on its port, with its data."""
        subprocess.run(self._as_owner(*self._pg_ctl(), "-w", "start"), check=True, capture_output=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://dicom@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database; returns its URL."""
        name = f"dicom_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=dicom dbname=postgres", autocommit=True
        ) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        pid_file = self.folder / "pg" / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGINT)  # "fast" shutdown, by the postmaster's PID
            _wait_gone(pid, 30)
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Azurite:
    """Azurite's Blob service alone on 127.0.0.1, its data in a temporary folder."""

    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dicom-azurite-")))
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Azurite:
        if not AZURITE.exists():
            raise EngineMissing(f"Azurite is not installed at {AZURITE}: run `make test` once")
        return self.resume()

    def pause(self) -> None:
        """Stop the emulator, keeping its data for `resume`."""
        self._end()

    def resume(self) -> Azurite:
        """Start the emulator (again) on its port, with its data; returns once it answers."""
        command = [str(AZURITE), "--silent", "--location", str(self.folder / "az")]
        command += ["--blobHost", "127.0.0.1", "--blobPort", str(self.port), "--skipApiVersionCheck"]
        # Without it Azurite tries to send telemetry off the machine, looking up names every few seconds:
        # about 7% of a core per idle emulator, measured (0.97 s of CPU in 15 idle seconds; 0.00 with it).
        command += ["--disableTelemetry"]
        with (self.folder / "azurite.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Azurite exited: {(self.folder / 'azurite.log').read_text()[-2000:]}")
            try:
                requests.get(f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}", timeout=5)
                return self
            except requests.RequestException:  # not listening yet, or slow to answer on a busy machine
                time.sleep(0.2)
        self._end()
        raise RuntimeError("Azurite did not answer within 60 s")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint={self.endpoint};"
        )

    def container(self, name: str) -> ContainerClient:
        """The container `name`, created when it does not exist yet."""
        client = ContainerClient.from_connection_string(self.connection_string, name)
        if not client.exists():
            client.create_container()
        return client

    def _end(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Azurite closes on Ctrl-C; it lingers on SIGTERM
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def stop(self) -> None:
        self._end()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Engines:
    postgres: Postgres
    azurite: Azurite

    def storage_environment(self) -> dict[str, str]:
        """The settings of a new, empty PostgreSQL + Azure configuration (own database and container)."""
        return {
            "DICOM_INDEX_URL": self.postgres.new_database(),
            "DICOM_BLOB_URL": f"azure://dicom-{uuid.uuid4().hex[:12]}",
            "AZURE_STORAGE_CONNECTION_STRING": self.azurite.connection_string,
        }

    def stop(self) -> None:
        self.azurite.stop()
        self.postgres.stop()


def start_engines(durable: bool = False) -> Engines:
    postgres = Postgres(durable=durable).start()
    try:
        return Engines(postgres, Azurite().start())
    except BaseException:
        postgres.stop()
        raise


def _wait_gone(pid: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
