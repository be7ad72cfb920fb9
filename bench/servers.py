"""A measured server as the bench's own process: started on a free loopback port, polled until it answers,
stopped by its PID, with its peak resident memory read from /proc before it goes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import requests

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


class ServerError(RuntimeError):
    """A server did not start, or died while it was measured."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM (peak resident set size) of a live process, in MB; None when /proc does not tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class Server:
    """One server process, its DICOMweb root at `base_url + root`. `start` returns once `ready_path` answers
    (below 500 unless `ready` says otherwise); `stop` ends it by PID."""

    def __init__(
        self,
        name: str,
        command: list[str],
        base_url: str,
        root: str,
        ready_path: str,
        log: Path,
        env: dict[str, str] | None = None,
        ready: Callable[[requests.Response], bool] = lambda response: response.status_code < 500,
    ) -> None:
        self.name = name
        self.command = command
        self.base_url = base_url
        self.root = base_url + root
        self.ready_path = ready_path
        self.log = log
        self.env = env
        self.ready = ready
        self.process: subprocess.Popen[bytes] | None = None
        self.peak_rss_mb: float | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
            )
        probe = requests.Session()
        probe.trust_env = False  # loopback only: no proxy
        try:
            self._wait_ready(self.process, probe)
        finally:
            probe.close()

    def _wait_ready(self, process: subprocess.Popen[bytes], probe: requests.Session) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerError(f"{self.name} exited with {process.returncode} at start:\n{self.tail()}")
            try:
                if self.ready(probe.get(self.base_url + self.ready_path, timeout=2)):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise ServerError(
            f"{self.name} did not answer {self.ready_path} within {START_TIMEOUT:.0f} s:\n{self.tail()}"
        )

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise ServerError(f"{self.name} died with {self.process.returncode}:\n{self.tail()}")

    def stop(self) -> None:
        """SIGTERM by PID, wait; SIGKILL only if it does not stop in time. Records the peak RSS first."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        self.peak_rss_mb = peak_rss_mb(process.pid)
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)

    def tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"
