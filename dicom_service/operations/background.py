"""A daemon thread of the service process with a stop event: started with the service, stopped with it."""

from __future__ import annotations

import threading


class Background:
    """Subclasses write `_run`, which returns once `_stop` is set (waiting on it, not sleeping)."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        raise NotImplementedError
