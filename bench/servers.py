"""A measured server as the bench's own process: started on a free loopback port, polled until it answers,
stopped by its PID, with its peak resident memory read from /proc before it goes.

A server of several worker processes (uvicorn's supervisor and its spawned workers) is ready once it answers
and every worker has started and gone idle; its peak RSS is the sum of its workers' (the supervisor left out).
"""

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
SETTLE_SECONDS = 0.5  # a worker is idle once it used (next to) no CPU for this long
WORKER_MARK = b"spawn_main"  # in the command line of a multiprocessing "spawn" child (uvicorn's workers)


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


def workers_of(pid: int) -> list[int]:
    """The PIDs of the worker processes `pid` spawned (multiprocessing's resource tracker left out)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children += [int(child) for child in task.read_text().split()]
        except (OSError, ValueError):
            continue
    found = []
    for child in children:
        try:
            if WORKER_MARK in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return sorted(found)


def cpu_ticks(pid: int) -> int | None:
    """User + system CPU time a live process has used so far, in clock ticks; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    except (OSError, ValueError, IndexError):
        return None


class Server:
    """One server process, its DICOMweb root at `base_url + root`. `start` returns once `ready_path` answers
    (below 500 unless `ready` says otherwise) and, when it runs `workers` worker processes, they all have
    started and gone idle; `stop` ends it by PID."""

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
        workers: int = 0,
    ) -> None:
        self.name = name
        self.command = command
        self.base_url = base_url
        self.root = base_url + root
        self.ready_path = ready_path
        self.log = log
        self.env = env
        self.ready = ready
        self.workers = workers
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
                if self.ready(probe.get(self.base_url + self.ready_path, timeout=2)) and self._settled(
                    process
                ):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise ServerError(
            f"{self.name} did not answer {self.ready_path} within {START_TIMEOUT:.0f} s:\n{self.tail()}"
        )

    def _settled(self, process: subprocess.Popen[bytes]) -> bool:
        """True when the server has no workers, or all `workers` are up and used no CPU for a moment."""
        if not self.workers:
            return True
        pids = workers_of(process.pid)
        if len(pids) < self.workers:
            return False
        before = [cpu_ticks(pid) for pid in pids]
        time.sleep(SETTLE_SECONDS)
        after = [cpu_ticks(pid) for pid in pids]
        # At most one clock tick (10 ms): an idle worker still polls for operations now and then.
        return all(b is not None and a is not None and a - b <= 1 for b, a in zip(before, after, strict=True))

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise ServerError(f"{self.name} died with {self.process.returncode}:\n{self.tail()}")

    def stop(self) -> None:
        """SIGTERM by PID, wait; SIGKILL only if it does not stop in time. Records the peak RSS first; workers
        still alive after their supervisor has gone are ended by their PIDs too."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        workers = workers_of(process.pid) if self.workers else []
        if workers:
            sizes = [peak_rss_mb(pid) for pid in workers]
            self.peak_rss_mb = None if None in sizes else sum(size or 0.0 for size in sizes)
        else:
            self.peak_rss_mb = peak_rss_mb(process.pid)
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
        for pid in workers:
            _end(pid)

    def tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def _running(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _end(pid: int) -> None:
    """SIGKILL a worker its supervisor left running (it is not our child: no wait) once STOP_TIMEOUT is up."""
    deadline = time.monotonic() + STOP_TIMEOUT
    while _running(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.1)
