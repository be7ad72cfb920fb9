"""Engine faults under load: client threads store (one instance a request), search and retrieve against
one service process while PostgreSQL or Azurite stops for a while, or the database turns slow.

What it checks, as a user relies on it:
- every 5xx answer is a 503 with `Retry-After` (the client may retry), never a 500 or a hang;
- the service recovers by itself once the engine is back (same process, no restart);
- every acknowledged instance is in the index once and comes back byte for byte; nothing is half-stored
  (every listed instance is retrievable).
Clients retry what was not acknowledged: a 503, a store refused with reason 272 (its file could not be
written to the blob store), a connection error; a retry answered 45070 (already stored) is acknowledged.
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.engines import Engines
from tests.load.proxy import DelayProxy
from tests.load.scenario import ACCEPT, AS_STORED, DUPLICATE, STORE, _reasons
from tests.load.served import Served
from tests.service import data

PROCESSING_FAILURE = 272
FAULTS = ("postgresql-stopped", "azurite-stopped", "slow-database", "rolling-restart")
INDEX_TIMEOUT_SECONDS = 2  # the slow database's setting: libpq's smallest connect timeout
SLOW_DELAY_SECONDS = 3.0  # the proxy's wait per chunk, either way: past the timeouts above


@dataclass(frozen=True)
class FaultLoad:
    fault: str
    seconds: float = 10.0  # how long the fault lasts
    clients: int = 4
    instances_per_client: int = 12
    bound_seconds: float = 180  # the whole run's bound


@dataclass
class FaultReport:
    load: FaultLoad
    requests: int = 0
    acknowledged: int = 0
    retryable: int = 0  # 503 + Retry-After answers
    refused: int = 0  # stores refused with reason 272 (blob store unreachable), retried
    retries: int = 0  # requests sent again after a 503, a 272 or a connection error
    server_errors: list[str] = field(default_factory=list)  # 5xx other than 503 + Retry-After
    lost: list[str] = field(default_factory=list)
    half_stored: list[str] = field(default_factory=list)
    slowest_seconds: float = 0.0  # the longest any answer took
    recovery_seconds: float | None = None  # from the engine's return to the first acknowledged store
    restarted: bool = False  # the service process changed (it must not)
    cut: int = 0  # requests that met a closed connection (sent again)
    exit_code: int | None = None  # of the service, stopped with SIGTERM at the end
    tracebacks: int = 0  # in the service's log: a fault is not a bug
    seconds: float = 0.0

    @property
    def failures(self) -> int:
        stopped_badly = self.exit_code != 0
        problems = len(self.server_errors) + len(self.lost) + len(self.half_stored) + self.tracebacks
        return problems + self.restarted + stopped_badly

    def lines(self) -> list[str]:
        recovery = f"{self.recovery_seconds:.1f} s" if self.recovery_seconds is not None else "-"
        return [
            f"fault {self.load.fault} for {self.load.seconds:g} s, {self.load.clients} clients x"
            f" {self.load.instances_per_client} instances, elapsed {self.seconds:.1f} s",
            f"  requests {self.requests}, acknowledged stores {self.acknowledged}",
            f"  503 + Retry-After {self.retryable}, stores refused (272) {self.refused},"
            f" connections cut {self.cut}, retries {self.retries}",
            f"  other 5xx {len(self.server_errors)}, lost {len(self.lost)}, half-stored"
            f" {len(self.half_stored)}, restarted {'yes' if self.restarted else 'no'}",
            f"  recovery {recovery}, slowest answer {self.slowest_seconds:.1f} s,"
            f" exit status after SIGTERM {self.exit_code}, tracebacks logged {self.tracebacks}",
            *[f"  {p}" for p in [*self.server_errors, *self.lost, *self.half_stored][:20]],
        ]


class FaultRun:
    def __init__(self, served: Served, load: FaultLoad) -> None:
        self.served = served
        self.load = load
        self.report = FaultReport(load)
        self.lock = threading.Lock()
        self.acknowledged: dict[str, dict[str, str]] = {}  # study → SOP Instance UID → digest from 128
        self.engine_back: float | None = None  # when the fault ended
        self.deadline = time.monotonic() + load.bound_seconds

    def count(self, answer: requests.Response | None, since: float) -> None:
        with self.lock:
            self.report.requests += 1
            self.report.slowest_seconds = max(self.report.slowest_seconds, time.monotonic() - since)
            if answer is None:
                self.report.cut += 1
                return
            if answer.status_code < 500:
                return
            if answer.status_code == 503 and answer.headers.get("Retry-After", "").isdigit():
                self.report.retryable += 1
            else:
                self.report.server_errors.append(
                    f"{answer.request.method} {answer.url}: {answer.status_code} {answer.text[:160]}"
                )

    def send(self, session: requests.Session, method: str, path: str, **options: object) -> requests.Response:
        """The request, sent again (after a short wait) until it is answered with anything but a 503."""
        while True:
            since = time.monotonic()
            try:
                answer = session.request(method, f"{self.served.root}{path}", timeout=60, **options)  # type: ignore[arg-type]
            except requests.RequestException:
                answer = None
            self.count(answer, since)
            if answer is not None and answer.status_code != 503:
                return answer
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"{method} {path}: no answer but 503 within the bound")
            with self.lock:
                self.report.retries += 1
            time.sleep(0.2)

    def client(self, number: int) -> None:
        try:
            self._client(number)
        except Exception as exc:  # reported, not lost in a thread
            with self.lock:
                self.report.server_errors.append(f"client {number} stopped: {exc!r}")

    def _client(self, number: int) -> None:
        instances = data.study(self.load.instances_per_client, PatientID=f"FAULT-{number}")
        study = instances[0].StudyInstanceUID
        mine: dict[str, str] = {}
        with self.lock:
            self.acknowledged[study] = mine
        session = requests.Session()
        for ds in instances:
            body = data.part10(ds)
            while True:
                answer = self.send(session, "POST", "/v2/studies", data=body, headers=STORE)
                reasons = _reasons(answer) if answer.status_code == 409 else []
                # The instance is new: "already stored" means an earlier attempt stored it, though its
                # answer was a 503 or never came (the database went away during the commit).
                if answer.status_code == 200 or reasons == [DUPLICATE]:
                    break
                if reasons == [PROCESSING_FAILURE]:
                    with self.lock:
                        self.report.refused += 1
                        self.report.retries += 1
                    time.sleep(0.2)
                    continue
                raise AssertionError(f"store: {answer.status_code} {answer.text[:200]}")
            with self.lock:
                mine[ds.SOPInstanceUID] = hashlib.sha256(body[128:]).hexdigest()
                self.report.acknowledged += 1
                if self.engine_back is not None and self.report.recovery_seconds is None:
                    self.report.recovery_seconds = time.monotonic() - self.engine_back
            self.send(session, "GET", f"/v2/studies/{study}/instances", headers=ACCEPT)
            sop = next(iter(mine))
            series = ds.SeriesInstanceUID
            self.send(
                session, "GET", f"/v2/studies/{study}/series/{series}/instances/{sop}", headers=AS_STORED
            )
        while self.engine_back is None and time.monotonic() < self.deadline:  # load until the fault ends
            self.send(session, "GET", f"/v2/studies/{study}/instances", headers=ACCEPT)
            time.sleep(0.05)

    def verify(self) -> None:
        session = requests.Session()
        for study, mine in self.acknowledged.items():
            rows = self.send(session, "GET", f"/v2/studies/{study}/metadata", headers=ACCEPT)
            listed: dict[str, str] = {}
            for row in rows.json() if rows.status_code == 200 else []:
                sop = row["00080018"]["Value"][0]
                if sop in listed:
                    self.report.half_stored.append(f"{sop} listed twice")
                listed[sop] = row["0020000E"]["Value"][0]
            for sop, series in listed.items():
                got = self.send(
                    session, "GET", f"/v2/studies/{study}/series/{series}/instances/{sop}", headers=AS_STORED
                )
                if got.status_code != 200:
                    self.report.half_stored.append(f"{sop} listed, not retrievable ({got.status_code})")
                elif sop in mine and hashlib.sha256(got.content[128:]).hexdigest() != mine[sop]:
                    self.report.lost.append(f"{sop}: the bytes differ from those stored")
            self.report.lost.extend(f"{sop} acknowledged, not listed" for sop in set(mine) - set(listed))


def run(engines: Engines, folder: Path, load: FaultLoad) -> FaultReport:
    storage = engines.storage_environment()
    proxy: DelayProxy | None = None
    pause: Callable[[], None]
    resume: Callable[[], None]
    if load.fault == "postgresql-stopped":
        pause, resume = engines.postgres.pause, engines.postgres.resume
    elif load.fault == "azurite-stopped":
        azurite = engines.azurite
        pause = azurite.pause

        def resume() -> None:
            azurite.resume()

    elif load.fault == "slow-database":
        proxy = DelayProxy(engines.postgres.port)
        storage["DICOM_INDEX_URL"] = storage["DICOM_INDEX_URL"].replace(
            f":{engines.postgres.port}/", f":{proxy.port}/"
        )
        storage["DICOM_INDEX_TIMEOUT_SECONDS"] = str(INDEX_TIMEOUT_SECONDS)
        slow = proxy

        def pause() -> None:
            slow.delay = SLOW_DELAY_SECONDS
            slow.cut()  # the pooled connections go; new ones meet the slow database

        def resume() -> None:
            slow.delay = 0.0
    elif load.fault == "rolling-restart":
        storage["WORKERS"] = "2"

        def pause() -> None:
            _rolling_restart(served, load.bound_seconds)

        def resume() -> None:
            pass

    else:
        raise ValueError(f"unknown fault {load.fault!r}; one of {', '.join(FAULTS)}")
    served = Served(folder / "service", storage)
    try:
        served.start()
        assert served.process is not None
        pid = served.process.pid
        state = FaultRun(served, load)
        started = time.monotonic()
        threads = [threading.Thread(target=state.client, args=(n,)) for n in range(load.clients)]
        for thread in threads:
            thread.start()
        _inject(state, pause, resume)
        for thread in threads:
            thread.join()
        state.report.seconds = time.monotonic() - started
        state.verify()
        state.report.restarted = served.process is None or served.process.pid != pid
        state.report.exit_code = served.terminate()
        state.report.tracebacks = sum(
            "traceback" in line or str(line.get("text", "")).startswith("Traceback")
            for line in served.log_lines()
        )
        return state.report
    finally:
        served.stop()
        if proxy is not None:
            proxy.close()


def _inject(state: FaultRun, pause: Callable[[], None], resume: Callable[[], None]) -> None:
    """Once a quarter of the stores are acknowledged, the fault for `seconds`, then the engine back."""
    total = state.load.clients * state.load.instances_per_client
    while state.report.acknowledged < total // 4 and time.monotonic() < state.deadline:
        time.sleep(0.05)
    pause()
    try:
        time.sleep(state.load.seconds)
    finally:
        resume()
        state.engine_back = time.monotonic()


def _rolling_restart(served: Served, bound: float) -> None:
    """SIGHUP: uvicorn replaces the workers one after the other; returns once both old ones have finished."""
    assert served.process is not None
    served.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        finished = [
            line for line in served.log_lines() if "Finished server process" in line.get("message", "")
        ]
        if len(finished) >= 2:
            return
        time.sleep(0.2)
    said = [
        line.get("message", line.get("text"))
        for line in served.log_lines()
        if line.get("logger") != "dicom_service.access"
    ]
    raise TimeoutError(f"the workers were not replaced within the bound; the service said: {said[-12:]}")
