"""SIGTERM during a database outage, under load, with several workers: the service (every process) ends within
DICOM_SHUTDOWN_SECONDS + APPLICATION_STOP_SECONDS, and nothing it acknowledged is lost.

Client threads store (one instance a request) against WORKERS service processes on PostgreSQL + Azurite;
PostgreSQL stops, one worker is killed (its replacement starts while the database is away), and after
`outage_seconds` the service gets SIGTERM. Once the database is back the service is started again on the
same data and every acknowledged instance is retrieved byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from dicom_service.ops.bounded_stop import APPLICATION_STOP_SECONDS
from tests.engines import Engines
from tests.load.scenario import AS_STORED, DUPLICATE, STORE, _reasons
from tests.load.served import Served
from tests.service import data

SHUTDOWN_SECONDS = 5


@dataclass
class StopReport:
    workers: int
    outage_seconds: float
    requests: int = 0
    acknowledged: int = 0
    retryable: int = 0  # 503 + Retry-After
    cut: int = 0  # connection errors (the stop, the killed worker)
    server_errors: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    stop_seconds: float = 0.0  # SIGTERM to the last process of the service gone
    exit_code: int | None = None
    killed: list[str] = field(default_factory=list)  # the service's lines naming killed workers

    @property
    def bound(self) -> float:
        return SHUTDOWN_SECONDS + APPLICATION_STOP_SECONDS

    @property
    def failures(self) -> int:
        late = self.stop_seconds > self.bound + 5  # 5 s: noticing the processes are gone on a busy machine
        return len(self.server_errors) + len(self.lost) + late

    def lines(self) -> list[str]:
        return [
            f"stop in outage: SIGTERM after {self.outage_seconds:g} s of PostgreSQL stopped, {self.workers}"
            f" workers (one killed during the outage), DICOM_SHUTDOWN_SECONDS={SHUTDOWN_SECONDS}",
            f"  requests {self.requests}, acknowledged stores {self.acknowledged}, 503 + Retry-After"
            f" {self.retryable}, connections cut {self.cut}",
            f"  other 5xx {len(self.server_errors)}, lost {len(self.lost)}",
            f"  every process gone {self.stop_seconds:.1f} s after SIGTERM (bound {self.bound:g} s),"
            f" exit status {self.exit_code}, workers killed {len(self.killed)}",
            *[f"  {line}" for line in [*self.killed, *self.server_errors, *self.lost][:20]],
        ]


def running(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def run(
    engines: Engines, folder: Path, workers: int = 2, outage_seconds: float = 10.0, clients: int = 4
) -> StopReport:
    report = StopReport(workers, outage_seconds)
    env = {
        **engines.storage_environment(),
        "WORKERS": str(workers),
        "DICOM_SHUTDOWN_SECONDS": str(SHUTDOWN_SECONDS),
    }
    served = Served(folder / "service", env, admin=False)
    acknowledged: dict[str, str] = {}  # SOP Instance UID → digest from byte 128
    where: dict[str, tuple[str, str]] = {}
    lock = threading.Lock()
    stopped = threading.Event()

    def client(number: int) -> None:
        session = requests.Session()
        while not stopped.is_set():
            ds = data.instance(PatientID=f"STOP-{number}")
            body = data.part10(ds)
            try:
                answer = session.post(f"{served.root}/v2/studies", data=body, headers=STORE, timeout=60)
            except requests.RequestException:
                with lock:
                    report.requests += 1
                    report.cut += 1
                time.sleep(0.2)
                continue
            with lock:
                report.requests += 1
                if answer.status_code == 200 or _reasons(answer) == [DUPLICATE]:
                    report.acknowledged += 1
                    acknowledged[ds.SOPInstanceUID] = hashlib.sha256(body[128:]).hexdigest()
                    where[ds.SOPInstanceUID] = (ds.StudyInstanceUID, ds.SeriesInstanceUID)
                elif answer.status_code == 503 and answer.headers.get("Retry-After", "").isdigit():
                    report.retryable += 1
                elif answer.status_code >= 500:
                    report.server_errors.append(f"store: {answer.status_code} {answer.text[:160]}")
            if answer.status_code == 503:
                time.sleep(0.2)

    served.start()
    try:
        assert served.process is not None
        parent = served.process.pid
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(5)  # load before the outage
        engines.postgres.pause()
        try:
            spawned = [
                p for p in children(parent) if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()
            ]
            if spawned:
                os.kill(min(spawned), signal.SIGKILL)  # its replacement starts while the database is away
            time.sleep(outage_seconds)
            tree = {parent, *children(parent)}
            since = time.monotonic()
            served.process.send_signal(signal.SIGTERM)
            report.exit_code = served.process.wait(timeout=report.bound + 120)
            while any(running(p) for p in tree) and time.monotonic() - since < report.bound + 120:
                time.sleep(0.05)
            report.stop_seconds = time.monotonic() - since
            served.process = None
            stopped.set()
            for thread in threads:
                thread.join(120)
        finally:
            engines.postgres.resume()
        report.killed = [
            str(line.get("message"))
            for line in served.log_lines()
            if line.get("logger") == "dicom_service.serving" and "killed" in str(line.get("message"))
        ]
        served.start()  # the same data, the database back
        session = requests.Session()
        for sop, digest in acknowledged.items():
            study, series = where[sop]
            url = f"{served.root}/v2/studies/{study}/series/{series}/instances/{sop}"
            got = session.get(url, headers=AS_STORED, timeout=60)
            if got.status_code != 200:
                report.lost.append(f"{sop} acknowledged, answered {got.status_code}")
            elif hashlib.sha256(got.content[128:]).hexdigest() != digest:
                report.lost.append(f"{sop}: the bytes differ from those stored")
        return report
    finally:
        stopped.set()
        served.stop()
