"""SIGTERM ends the whole service within a bound, whatever each process is doing.

The bound is `DICOM_SHUTDOWN_SECONDS` (requests in flight finish) plus `APPLICATION_STOP_SECONDS` (the
application hands its running operation back and closes its pools). A process still there at the bound is
starting (its start-up waits on an engine), draining past its bound, or stopping an application whose
engine does not answer: it is killed, with one log line naming it and what it was doing, and the service
exits 1 instead of 0.

- Several workers: `BoundedMultiprocess`, uvicorn's supervisor with these changes. SIGTERM and SIGINT take
  effect at once (uvicorn queues them until its loop is free, which a rolling restart holds for as long as
  a new worker takes to start); a worker's health check waits `PING_SECONDS` once it has answered one, a
  new worker gets `START_SECONDS` (uvicorn uses one figure for both); waiting for the workers to end is
  bounded; and a worker that fails to start once the service has served is started again later rather
  than the service stopped.
- One process: `BoundedServer`, uvicorn's server with a watchdog thread that ends the process at the bound.

Either way `StopState.began` is set as soon as the signal arrives, so readiness answers 503 while draining.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from uvicorn.config import STARTUP_FAILURE
from uvicorn.server import Server
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from dicom_service.ops.handoff import HandedProcess, Handoff

logger = logging.getLogger("dicom_service.serving")
APPLICATION_STOP_SECONDS = 10  # hand the running operation back, stop housekeeping, close the pools
PING_SECONDS = 5.0  # a worker's health-check thread answers in milliseconds unless the process is hung
START_SECONDS = 60.0  # a new worker imports the service, opens its engines: past 30 s on a busy machine
STARTING = "starting (its start-up, which opens the index database and the blob store, had not finished)"
DRAINING = "draining its requests or stopping its application (an engine that does not answer?)"
RESTART_MAX_SECONDS = 30  # the longest wait before starting again a worker whose start-up failed
HUNG = "not answering the supervisor's health check (hung)"


@dataclass
class StopState:
    """When the service began to stop (time.monotonic()), None while it serves; read by readiness."""

    began: float | None = None
    bound_seconds: float = 0.0
    leftovers: Path | None = None  # a folder to remove should the process have to end itself

    @property
    def stopping(self) -> bool:
        return self.began is not None

    def begin(self) -> None:
        if self.began is None:
            self.began = time.monotonic()

    def left(self) -> float:
        assert self.began is not None
        return max(0.0, self.began + self.bound_seconds - time.monotonic())


class _StopFlag:
    """uvicorn's `should_exit` without a lock, so a signal handler may set it while the loop waits on it."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._set and time.monotonic() < deadline:
            time.sleep(0.05)
        return self._set


class BoundedMultiprocess(Multiprocess):
    def __init__(
        self, *args: object, state: StopState, handoff: Handoff | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.state = state
        self.handoff = handoff  # connections handed to the workers in turn (ops.handoff)
        self.should_exit = _StopFlag()  # type: ignore[assignment]
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        self.exit_code = 0
        self.served = False  # a worker has finished its start-up
        self.retry_at: dict[int, float] = {}  # worker slot → when to start it again (time.monotonic())
        self.failed_starts: dict[int, int] = {}  # worker slot → start-ups failed in a row
        self.since: dict[int, float] = {}  # pid → when the supervisor first looked at it
        self.asked: set[int] = set()  # pids sent their first health check
        self.answered: set[int] = set()  # pids that answered it
        self.retiring: list[Process] = []  # old workers a rolling restart is stopping

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.state.begin()
        self.should_exit.set()

    def keep_subprocess_alive(self) -> None:
        """uvicorn's, with a short health check, a look at the stop flag before each worker, and a worker
        that fails to start once the service has served started again later, not the service stopped: the
        settings were checked before any worker started, so that failure is an engine's passing state."""
        for index, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if index in self.retry_at:
                if time.monotonic() >= self.retry_at[index]:
                    del self.retry_at[index]
                    self._replace(index)
                continue
            started = self._health(process)
            if started is not None:
                if started:
                    self.served = True
                    self.failed_starts.pop(index, None)
                    self._serving(process)
                continue
            self._retire(process)
            process.kill()  # hung or gone
            process.process.join(PING_SECONDS)
            if self.should_exit.is_set():
                return
            if process.exitcode == STARTUP_FAILURE and not self.served:  # a setting or the code itself
                logger.error("worker %s failed to start; stopping the service", process.pid)
                self.state.begin()
                self.should_exit.set()
                return
            if process.exitcode == STARTUP_FAILURE:
                self.failed_starts[index] = self.failed_starts.get(index, 0) + 1
                wait = min(RESTART_MAX_SECONDS, 2 ** self.failed_starts[index])
                logger.warning(
                    "worker %s failed to start (its log says why); another in %d s", process.pid, wait
                )
                self.retry_at[index] = time.monotonic() + wait
                continue
            logger.warning("worker %s died (exit code %s); starting another", process.pid, process.exitcode)
            self._replace(index)

    def _health(self, process: Process) -> bool | None:
        """Whether the worker's server has started; None when it is gone or hung. A new worker answers its
        first health check only once it has imported uvicorn: until START_SECONDS have passed, its
        silence is not taken for a hang (one check at a time in its pipe, answered when it can)."""
        if not process.process.is_alive():
            return None
        pid = process.pid or 0
        if pid in self.answered:
            return process._healthcheck(PING_SECONDS)
        since = self.since.setdefault(pid, time.monotonic())
        try:
            if pid not in self.asked:
                process.parent_conn.send(b"ping")
                self.asked.add(pid)
            if process.parent_conn.poll(0):
                self.answered.add(pid)
                return bool(process.parent_conn.recv())
        except (OSError, EOFError):
            return None
        return False if time.monotonic() - since < START_SECONDS else None

    def _spawn(self) -> Process:
        """A new worker, started: on the shared listener, or on a socket pair of the handoff's."""
        if self.handoff is None:
            process = Process(self.config, self.sockets)
            process.start()
            return process
        ours, theirs = self.handoff.pair()
        process = HandedProcess(self.config, [theirs])
        process.start()
        theirs.close()  # the worker has its own copy
        self.handoff.opened(process.pid or 0, ours)
        return process

    def init_processes(self) -> None:
        self.processes = [self._spawn() for _ in range(self.processes_num)]

    def _serving(self, process: Process) -> None:
        if self.handoff is not None:
            self.handoff.serving(process.pid or 0)

    def _retire(self, process: Process) -> None:
        if self.handoff is not None:
            self.handoff.retired(process.pid or 0)

    def _replace(self, index: int) -> None:
        self._retire(self.processes[index])
        self.processes[index] = self._spawn()

    def restart_all(self) -> None:
        """A rolling restart (SIGHUP): uvicorn's, with the old worker's stop bounded like any other."""
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._spawn()
            if not new.wait_until_ready(START_SECONDS, self.should_exit):
                self._retire(new)
                new.kill()
                new.process.join()
                if self.should_exit.is_set():
                    logger.error("worker %s killed at SIGTERM: it was %s", new.pid, STARTING)
                else:
                    logger.error(
                        "worker %s killed: not ready within %g s; keeping worker %s, the restart stops",
                        new.pid,
                        START_SECONDS,
                        old.pid,
                    )
                return
            self._serving(new)
            self._retire(old)
            old.terminate()
            self.processes[index] = new
            self.retry_at.pop(index, None)
            self.retiring.append(old)  # a SIGTERM now stops the service at once; the stop waits for it
            if (
                self._join(old, self.state.bound_seconds, DRAINING, "replaced by a rolling restart")
                is not None
            ):
                self.retiring.remove(old)

    def run(self) -> None:
        logger.info("Started parent process [%d]", os.getpid())
        self.init_processes()
        while not self.should_exit.wait(0.5):
            self.handle_signals()
            self.keep_subprocess_alive()
        self.state.begin()
        if self.handoff is not None:
            self.handoff.stop()
        logger.info("Stopping: %d worker(s), within %g s", len(self.processes), self.state.left())
        self.exit_code = self.stop_within_bound()
        logger.info("Stopping parent process [%d]", os.getpid())

    def stop_within_bound(self) -> int:
        """SIGTERM to every worker, SIGKILL to those still there at the bound; 0 if none had to be."""
        states = {}
        for process in self.processes:
            if not process.process.is_alive():
                started: bool | None = True
            elif (process.pid or 0) in self.answered:
                started = process._healthcheck(0.5)
            else:
                started = self._health(process)
            states[process.pid] = DRAINING if started else HUNG if started is None else STARTING
        self.terminate_all()
        states.update((p.pid, DRAINING) for p in self.retiring)
        ending = [*self.processes, *self.retiring]
        killed = [p for p in ending if self._join(p, self.state.left(), states[p.pid]) is False]
        return 1 if killed else 0

    def _join(self, process: Process, seconds: float, doing: str, why: str = "SIGTERM") -> bool | None:
        """Wait `seconds` for the worker to end, else kill it saying why; False when it had to be killed,
        None when a SIGTERM to the service came first (the stop waits for it then)."""
        deadline = time.monotonic() + seconds
        while process.process.is_alive() and time.monotonic() < deadline:
            if why != "SIGTERM" and self.should_exit.is_set():
                return None
            process.process.join(min(0.1, max(0.0, deadline - time.monotonic())))
        if not process.process.is_alive():
            return True
        logger.error(
            "worker %s killed %.0f s after %s, the bound (DICOM_SHUTDOWN_SECONDS + %d s): it was %s",
            process.pid,
            self.state.bound_seconds,
            why,
            APPLICATION_STOP_SECONDS,
            doing,
        )
        process.process.kill()
        process.process.join()
        return False


class BoundedServer(Server):
    """uvicorn's server of one process, ended at the bound once a signal has told it to stop."""

    def __init__(self, *args: object, state: StopState, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.state = state
        threading.Thread(target=self._watch, name="bounded-stop", daemon=True).start()

    def _watch(self) -> None:
        while not self.should_exit:
            time.sleep(0.05)
        self.state.begin()
        time.sleep(self.state.left())
        logger.error(
            "service process %d ended %.0f s after SIGTERM, the bound (DICOM_SHUTDOWN_SECONDS + %d s):"
            " it was %s",
            os.getpid(),
            self.state.bound_seconds,
            APPLICATION_STOP_SECONDS,
            DRAINING if self.started else STARTING,
        )
        if self.state.leftovers is not None:
            shutil.rmtree(self.state.leftovers, ignore_errors=True)
        os._exit(1)
