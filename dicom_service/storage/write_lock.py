"""The SQLite index's writers of several processes (`make serve` runs one per core) take turns on a lock file.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps 1, 2, 5, 10 … up to
100 ms between tries, so with two processes storing at once many writes waited longer than they took. Here
a writer polls an exclusive `flock` on a file next to the database, at most 2 ms apart, then writes.
Past `timeout_seconds` it goes on without it and SQLite's own waiting and error apply, as before.
"""

from __future__ import annotations

import fcntl
import os
import time
from types import TracebackType

FIRST_PAUSE, LONGEST_PAUSE = 50e-6, 2e-3


class WriteLock:
    """Held around one write transaction; a process's threads take turns before it (the caller's lock)."""

    def __init__(self, path: str, timeout_seconds: float) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.timeout = timeout_seconds
        self.held = False

    def __enter__(self) -> WriteLock:
        deadline = time.monotonic() + self.timeout
        pause = FIRST_PAUSE
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return self  # SQLite's own busy handling decides
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self.fd)
