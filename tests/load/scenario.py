"""Load and crash scenario: client threads store, search and retrieve against two service processes over
one PostgreSQL database and one Azure container (Azurite); one process is killed (SIGKILL) mid-stores.

What it checks, as a user relies on it:
- no answer is a 5xx;
- every acknowledged instance is in the index once (none lost, none duplicated) and comes back byte for
  byte (from byte 128: the service zeroes the preamble);
- a search right after an acknowledged store finds it, from either process;
- a store cut by the kill is either absent or whole (a retry answers 45070 and the instance is retrievable);
- the operation running on the killed process (a reindex, `tests/load/operation.py`) is taken over by the
  survivor once its lease runs out and ends, its effect applied once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import signal
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from dicom_service.housekeeping import orphans
from dicom_service.settings import from_environment
from dicom_service.storage.service import DicomService
from tests.engines import Engines
from tests.load.operation import OperationReport, check_outcome, start_and_find_runner
from tests.service import data
from tests.service.live import LiveService

ACCEPT = {"Accept": "application/dicom+json"}
STORE = {"Content-Type": "application/dicom", **ACCEPT}
AS_STORED = {"Accept": "application/dicom; transfer-syntax=*"}
MULTIPART = {"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'}
DUPLICATE = 45070


@dataclass(frozen=True)
class Load:
    clients: int = 6
    instances_per_client: int = 40
    seconds: float = 240  # a bound: clients stop storing when it is reached
    kill: bool = True  # and interrupt an operation with it
    processes: int = 2
    lease_seconds: float = 2.0  # DICOM_OPERATION_LEASE_SECONDS: the survivor takes over this soon


@dataclass
class Report:
    load: Load
    acknowledged: int = 0
    acknowledged_by_retry: int = 0  # cut by the kill, then answered 45070: stored whole before the kill
    cut: int = 0  # store requests refused or cut by the killed process, sent again
    server_errors: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    stale_searches: list[str] = field(default_factory=list)
    killed_after: int | None = None  # acknowledged stores when the process was killed
    killed_process: int | None = None  # its index in the fleet: the one running the operation
    operation: OperationReport = field(default_factory=OperationReport)
    orphans_swept: int | None = None  # blobs the kill left unreferenced, removed by the sweep
    seconds: float = 0.0
    store_ms: list[float] = field(default_factory=list)
    search_ms: list[float] = field(default_factory=list)
    retrieve_ms: list[float] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(
            map(
                len,
                (
                    self.server_errors,
                    self.lost,
                    self.duplicated,
                    self.mismatched,
                    self.stale_searches,
                    self.operation.problems,
                ),
            )
        )

    def lines(self) -> list[str]:
        def median(values: list[float]) -> str:
            return f"{statistics.median(values):.1f} ms" if values else "-"

        rate = self.acknowledged / max(self.seconds, 1e-9)
        return [
            f"clients {self.load.clients} x {self.load.instances_per_client} instances,"
            f" {self.load.processes} service processes,"
            f" PostgreSQL + Azurite, kill: {'yes' if self.load.kill else 'no'}",
            f"acknowledged stores   {self.acknowledged} ({self.acknowledged_by_retry} by a retry after the"
            " kill)",
            f"killed after          {self.killed_after} acknowledged stores; {self.cut} store requests cut"
            if self.killed_after is not None
            else "killed after          -",
            f"elapsed               {self.seconds:.1f} s ({rate:.1f} acknowledged stores/s)",
            f"median store          {median(self.store_ms)}",
            f"median search         {median(self.search_ms)}",
            f"median retrieve       {median(self.retrieve_ms)}",
            f"5xx answers           {len(self.server_errors)}",
            f"lost instances        {len(self.lost)}",
            f"duplicated instances  {len(self.duplicated)}",
            f"byte mismatches       {len(self.mismatched)}",
            f"stale searches        {len(self.stale_searches)}",
            *([self.operation.line()] if self.load.kill else []),
            *(
                [f"orphan blobs          {self.orphans_swept} left by the kill, removed by the sweep"]
                if self.orphans_swept is not None
                else []
            ),
            *[f"  {problem}" for problem in self._problems()[:20]],
        ]

    def _problems(self) -> list[str]:
        return [
            *self.server_errors,
            *self.lost,
            *self.duplicated,
            *self.mismatched,
            *self.stale_searches,
            *self.operation.problems,
        ]


class Fleet:
    """Two service processes over the same storage; requests go round robin to the live ones."""

    def __init__(self, services: list[LiveService]) -> None:
        self.services = services
        self.dead: set[int] = set()
        self.lock = threading.Lock()

    def root(self, turn: int) -> str:
        with self.lock:
            alive = [s for i, s in enumerate(self.services) if i not in self.dead]
        return alive[turn % len(alive)].root

    def kill(self, index: int) -> None:
        with self.lock:
            self.dead.add(index)
        self.services[index].stop(signal.SIGKILL)


class Run:
    """The shared state of one load run: where requests go, what was acknowledged, what went wrong."""

    def __init__(self, fleet: Fleet, load: Load, index_url: str) -> None:
        self.fleet = fleet
        self.index_url = index_url
        self.interrupting: threading.Thread | None = None
        self.killed_at = dt.datetime.now(dt.UTC)
        self.load = load
        self.report = Report(load)
        self.lock = threading.Lock()
        self.acknowledged: dict[str, dict[str, str]] = {}  # study → SOP Instance UID → digest from byte 128
        total = load.clients * load.instances_per_client
        self.kill_at = total // 2 if load.kill and load.processes > 1 else None
        self.deadline = time.monotonic() + load.seconds

    def timed(self, kind: list[float], since: float) -> None:
        with self.lock:
            kind.append((time.monotonic() - since) * 1000)

    def problem(self, kind: list[str], text: str) -> None:
        with self.lock:
            kind.append(text)

    def client(self, number: int) -> None:
        try:
            self._client(number)
        except Exception as exc:  # reported, not lost in a thread
            self.problem(self.report.server_errors, f"client {number} stopped: {exc!r}")

    def _client(self, number: int) -> None:
        rng = random.Random(number)
        instances = data.study(self.load.instances_per_client, series_count=3, PatientID=f"LOAD-{number}")
        study = instances[0].StudyInstanceUID
        mine: dict[str, str] = {}
        with self.lock:
            self.acknowledged[study] = mine
        session = requests.Session()
        turn = number
        for ds in instances:
            if time.monotonic() > self.deadline:
                break
            turn += 1
            self.store(session, turn, ds.SOPInstanceUID, data.part10(ds), mine)
            self.search(session, turn + 1, study, mine)
            if mine and rng.random() < 0.5:
                self.retrieve(session, turn + 2, study)

    def store(
        self, session: requests.Session, turn: int, sop: str, body: bytes, mine: dict[str, str]
    ) -> None:
        cut = False
        while True:  # a store cut by the kill is sent again, to a live process
            since = time.monotonic()
            try:
                root = self.fleet.root(turn)
                answer = session.post(f"{root}/v2/studies", data=body, headers=STORE, timeout=60)
                break
            except requests.RequestException:  # refused or cut: the killed process
                cut, turn = True, turn + 1
                with self.lock:
                    self.report.cut += 1
        self.timed(self.report.store_ms, since)
        by_retry = answer.status_code == 409 and cut and _reasons(answer) == [DUPLICATE]
        if answer.status_code != 200 and not by_retry:
            self.problem(self.report.server_errors, f"store {sop}: {answer.status_code} {answer.text[:200]}")
            return
        with self.lock:
            mine[sop] = hashlib.sha256(body[128:]).hexdigest()
            self.report.acknowledged += 1
            self.report.acknowledged_by_retry += by_retry
            if self.report.acknowledged == self.kill_at:
                self.report.killed_after = self.report.acknowledged
                self.interrupting = threading.Thread(target=self.interrupt)
                self.interrupting.start()

    def interrupt(self) -> None:
        """Start an operation, then kill the process that runs it, while the stores go on."""
        try:
            victim = start_and_find_runner(self.fleet, self.index_url, self.report.operation)
        except Exception as exc:  # reported, not lost in a thread
            self.problem(self.report.operation.problems, f"starting the operation: {exc!r}")
            victim = 0
        self.report.killed_process = victim
        self.killed_at = dt.datetime.now(dt.UTC)
        self.fleet.kill(victim)

    def search(self, session: requests.Session, turn: int, study: str, mine: dict[str, str]) -> None:
        with self.lock:
            expected = set(mine)
        since = time.monotonic()
        try:
            url = f"{self.fleet.root(turn)}/v2/studies/{study}/instances"
            found = session.get(url, headers=ACCEPT, timeout=60)
        except requests.RequestException:  # refused or cut: the killed process
            return  # the killed process
        self.timed(self.report.search_ms, since)
        if found.status_code not in (200, 204):
            self.problem(self.report.server_errors, f"search {study}: {found.status_code}")
            return
        listed = {row["00080018"]["Value"][0] for row in found.json()} if found.status_code == 200 else set()
        if not expected <= listed:
            missing = len(expected - listed)
            self.problem(self.report.stale_searches, f"a search of {study} misses {missing} acknowledged")

    def retrieve(self, session: requests.Session, turn: int, study: str) -> None:
        since = time.monotonic()
        try:
            got = session.get(f"{self.fleet.root(turn)}/v2/studies/{study}", headers=MULTIPART, timeout=60)
        except requests.RequestException:  # refused or cut: the killed process
            return
        self.timed(self.report.retrieve_ms, since)
        if got.status_code != 200:
            self.problem(self.report.server_errors, f"retrieve {study}: {got.status_code}")


def run(engines: Engines, folder: Path, load: Load) -> Report:
    storage = {**engines.storage_environment(), "DICOM_OPERATION_LEASE_SECONDS": str(load.lease_seconds)}
    services = [LiveService(folder / f"service{i}", storage) for i in range(load.processes)]
    try:
        for service in services:
            service.start()
        state = Run(Fleet(services), load, storage["DICOM_INDEX_URL"])
        started = time.monotonic()
        threads = [threading.Thread(target=state.client, args=(n,)) for n in range(load.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if state.interrupting is not None:
            state.interrupting.join()
        state.report.seconds = time.monotonic() - started
        if state.report.killed_process is not None:
            # The survivor alone takes the operation over; then the killed process comes back: what it
            # left is cleaned and it serves again.
            check_outcome(state.fleet, state.index_url, state.report.operation, state.killed_at)
            services[state.report.killed_process].start()
            state.fleet.dead.clear()
            # No store is in flight any more, so every blob counts as old; the verification that follows
            # shows the sweep removed nothing an instance needs.
            state.report.orphans_swept = _sweep_orphans(storage, folder / "sweep")
        _verify(state.fleet, state.acknowledged, state.report)
        return state.report
    finally:
        for service in services:
            service.stop()


def _sweep_orphans(storage: dict[str, str], data_dir: Path) -> int:
    service = DicomService.from_settings(from_environment({"DATA_DIR": str(data_dir), **storage}))
    try:
        return orphans.sweep(service.index, service.blobs, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    finally:
        service.close()


def _reasons(answer: requests.Response) -> list[int]:
    try:
        failed = answer.json().get("00081198", {}).get("Value", [])
    except ValueError:
        return []
    return [item["00081197"]["Value"][0] for item in failed]


def _verify(fleet: Fleet, acknowledged: dict[str, dict[str, str]], report: Report) -> None:
    session = requests.Session()
    for turn, (study, mine) in enumerate(acknowledged.items()):
        root = fleet.root(turn)
        metadata = session.get(f"{root}/v2/studies/{study}/metadata", headers=ACCEPT, timeout=60)
        rows = metadata.json() if metadata.status_code == 200 else []
        seen: dict[str, str] = {}
        for row in rows:
            sop = row["00080018"]["Value"][0]
            if sop in seen:
                report.duplicated.append(f"{sop} listed twice")
            seen[sop] = row["0020000E"]["Value"][0]
        for sop, digest in mine.items():
            if sop not in seen:
                report.lost.append(f"{sop} acknowledged, not in the index")
                continue
            url = f"{root}/v2/studies/{study}/series/{seen[sop]}/instances/{sop}"
            got = session.get(url, headers=AS_STORED, timeout=60)
            if got.status_code != 200 or hashlib.sha256(got.content[128:]).hexdigest() != digest:
                report.mismatched.append(f"{sop}: {got.status_code}, bytes differ from those stored")
        for sop in set(seen) - set(mine):  # stored whole by a request the kill cut: must be retrievable
            got = session.get(
                f"{root}/v2/studies/{study}/series/{seen[sop]}/instances/{sop}", headers=AS_STORED
            )
            if got.status_code != 200:
                report.mismatched.append(f"{sop}: listed but not retrievable ({got.status_code})")
