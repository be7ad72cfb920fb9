"""The folder where the service's processes write their Prometheus metrics (`PROMETHEUS_MULTIPROC_DIR`).

It is private to one run of the service: made empty at start (mode 0700), removed at the end, and it must be
named in the environment before `prometheus_client` is imported, in the parent and in every worker.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
LIVE_GAUGE_FILE = re.compile(r"gauge_live\w*_(?P<pid>\d+)\.db")


def private_folder() -> Path:
    """A new empty folder, named in this process's environment (inherited by the workers)."""
    folder = Path(tempfile.mkdtemp(prefix="dicom-metrics-"))
    os.environ[VARIABLE] = str(folder)
    return folder


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def forget_dead_workers(folder: Path) -> None:
    """Drop the live gauges (requests in flight, connections in use) of workers that have stopped; their
    counters stay, as what they counted happened."""
    from prometheus_client import multiprocess  # only once the folder is named (see above)

    pids = {int(m["pid"]) for p in folder.iterdir() if (m := LIVE_GAUGE_FILE.fullmatch(p.name))}
    for pid in pids:
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, str(folder))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
