"""The service as an operator runs it: `python -m dicom_service.serve` in its own process on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tests.engines import free_port


class Served:
    """`python -m dicom_service.serve` with `env` added to this process's environment; stopped by PID."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, admin: bool = True) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.admin_port = free_port() if admin else None
        self.env = env or {}
        self.log = data_dir.parent / f"{data_dir.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def start(self, timeout: float = 60) -> Served:
        # One process unless the test asks for more (the default follows the machine's cores).
        env = {**os.environ, "DATA_DIR": str(self.data_dir), "WORKERS": "1", **self.env}
        if self.admin_port is not None:
            env["ADMIN_PORT"] = str(self.admin_port)
        command = [
            sys.executable,
            "-m",
            "dicom_service.serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited at start-up: {self.log.read_text()[-2000:]}")
            try:
                requests.get(f"{self.root}/v2/partitions", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"the service did not answer within {timeout:g} s")

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM; the exit code once the process has ended."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self.process = None
        return code

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON lines the service wrote (anything else it wrote is returned as {"text": line})."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                found.append({"text": line})
        return found
