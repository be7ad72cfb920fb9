"""Azurite, Microsoft's Azure Storage emulator, as the export tests' blob storage: started on loopback with
its data in a temporary folder, stopped by PID. `make test` installs it (npm, pinned) and names it in
AZURITE_BLOB; a plain pytest run finds it under .npm or skips the tests that need it."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests
from azure.storage.blob import ContainerClient

from tests.fixtures import ROOT
from tests.service.live import free_port

ACCOUNT = "devstoreaccount1"
# Azurite's documented development account key (public, in Azurite's README).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def binary() -> Path:
    named = os.environ.get("AZURITE_BLOB")
    found = Path(named) if named else ROOT / ".npm" / "node_modules" / ".bin" / "azurite-blob"
    if not found.exists():
        if named:
            raise RuntimeError(f"AZURITE_BLOB names {named}, which does not exist")
        pytest.skip("Azurite is not installed: `make test` installs it")
    return found


class Azurite:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return f"AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={self.endpoint};"

    def start(self) -> Azurite:
        command = [str(binary()), "--silent", "--location", str(self.folder), "--blobHost", "127.0.0.1"]
        command += ["--blobPort", str(self.port), "--skipApiVersionCheck"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Azurite exited at start-up")
            try:
                requests.get(self.endpoint, timeout=1)  # 4xx without credentials: it is up
                return self
            except requests.ConnectionError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("Azurite did not answer within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # Azurite waits for open connections to close; not for long
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def container(self, name: str) -> ContainerClient:
        client = ContainerClient.from_connection_string(self.connection_string, name)
        if not client.exists():
            client.create_container()
        return client
