"""The DICOMweb service against Orthanc at real sizes, side by side in one run: 512×512 16-bit CT studies
of 100, 500 and 1,000 slices, a multi-frame instance of about 400 MB, and searches over 10,000 and 100,000
studies.

Both servers run at once as processes of their own on loopback, each on a fresh empty store (ours as
`make serve` runs it by default, one process per core; Orthanc on its default SQLite + folder); each measure
runs on one then the other, the order flipping from measure to measure (a store measure: half its requests
in each order). One run, not rounds: the data is large. A server's peak RSS during a request is VmHWM read
from /proc after resetting it (`clear_refs`) just before the request (of the process that served it: the
largest of ours' workers).

    python -m bench realsize               # within `make bench`'s runner
    python -m bench.realsize --quick       # small sizes, for development (about a minute)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from bench import orthanc
from bench.configurations import OURS, ours_server
from bench.realsize_data import FRAME_BYTES, Builder, Series, small_study, study_date
from bench.realsize_http import Link, length, multipart, stored_count
from bench.realsize_report import PEER, Row, shown, table
from bench.realsize_stores import (
    CLIENTS,
    JSON,
    SLOW_CREATION_US,
    Body,
    creation_cost,
    store_rate,
    store_seconds,
)
from bench.servers import Server, peak_rss_mb, workers_of
from dicom_service.settings import from_environment

T = TypeVar("T")
SEARCH_BATCH = 100  # small studies per store request while the search index is filled
INSTANCE_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'
FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'


@dataclass(frozen=True)
class Sizes:
    studies: tuple[int, ...]  # slices per CT study
    frames: int  # frames of the multi-frame instance
    searches: tuple[int, ...]  # studies in the index when searches are measured
    reads: int  # requests per read measure (the median is kept)


FULL = Sizes((100, 500, 1000), 800, (10_000, 100_000), 10)
QUICK = Sizes((10, 30, 60), 40, (300, 1500), 5)


class Run:
    """Both servers, their scratch folders and the figures gathered so far."""

    def __init__(self, servers: dict[str, Server], folders: dict[str, Path]) -> None:
        self.servers, self.folders = servers, folders
        self.rows: list[Row] = []
        self.instances = 0  # stored on each server
        self.flip = False

    def order(self) -> list[str]:
        self.flip = not self.flip
        names = list(self.servers)
        return names if self.flip else names[::-1]

    def add(self, label: str, size: str, unit: str, figures: dict[str, float]) -> None:
        self.rows.append(Row(label, size, unit, figures))
        figures_shown = ", ".join(f"{name} {shown(value, unit)}" for name, value in figures.items())
        print(f"  ({label}, {size}: {figures_shown})", file=sys.stderr, flush=True)  # progress of a long run

    def pids(self, name: str) -> list[int]:
        """The processes that serve requests: the server's, or its workers' when it runs several."""
        server = self.servers[name]
        if server.process is None:
            raise RuntimeError(f"{name} is not running")
        return workers_of(server.process.pid) if server.workers else [server.process.pid]

    def index_bytes(self, name: str) -> int:
        """The index database's main file (its write-ahead log, a few MB reused again and again, left out)."""
        path = self.folders[name] / ("data/index.sqlite" if name == OURS else "index/index")
        return path.stat().st_size


def _peaked(run: Run, name: str, action: Callable[[], T]) -> tuple[T, float]:
    """(the action's result, the peak RSS in MB of the server's process that served it: the largest)."""
    pids = run.pids(name)
    for pid in pids:
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    result = action()
    return result, max(peak_rss_mb(pid) or 0.0 for pid in pids)


def _stored_both_ways(run: Run, bodies: list[Body]) -> dict[str, float]:
    """MB/s of each server storing `bodies`: their first half with the servers in one order, the second
    half in the other, so that neither server always stores first while the machine's state drifts."""
    names = run.order()
    middle = len(bodies) // 2
    seconds = dict.fromkeys(names, 0.0)
    for half, order in ((bodies[:middle], names), (bodies[middle:], names[::-1])):
        for name in order:
            seconds[name] += store_seconds(run.servers[name].root, half)
    megabytes = sum(length(b) for b, _, _ in bodies) / 1e6
    return {name: megabytes / seconds[name] for name in run.servers}


RETRIEVES = 7  # whole-study retrieves per study and server: one study's ranged 28–62 ms in one run
WARM_UP = 40  # CT slices each server stores and serves before anything is measured


def warm_up(run: Run, builder: Builder) -> None:
    """Both servers warmed alike before the first measure (imports, caches, the index's first pages, every
    worker process reached by the clients): a study stored 1 then 10 per request by the 4 clients, then
    retrieved whole and its metadata read on 4 connections in turn; none of it is measured."""
    series = builder.series(WARM_UP, "BENCH-WARM-UP")
    slices = [builder.ct_slice(series, n) for n in range(WARM_UP)]
    half = WARM_UP // 2
    singles = [(*multipart([s]), 1) for s in slices[:half]]
    tens = [(*multipart(slices[i : i + 10]), len(slices[i : i + 10])) for i in range(half, WARM_UP, 10)]
    for name in run.order():
        root = run.servers[name].root
        store_rate(root, singles)
        store_rate(root, tens)
        for _ in range(CLIENTS):  # one connection each: ours hands connections to its workers in turn
            link = Link(root)
            try:
                for path, accept in ((f"/studies/{series.study_uid}", INSTANCE_ACCEPT),) * 2 + (
                    (f"/studies/{series.study_uid}/metadata", JSON),
                ):
                    _timed(link, path, accept)
            finally:
                link.close()
    run.instances += WARM_UP


def store_studies(run: Run, builder: Builder, sizes: Sizes) -> list[Series]:
    """Each CT study stored on both servers: its first half one slice per request, the rest ten at once."""
    studies = []
    for size in sizes.studies:
        series = builder.series(size, f"BENCH-CT-{size}")
        slices = [builder.ct_slice(series, n) for n in range(size)]
        half = size // 2
        singles = [(*multipart([s]), 1) for s in slices[:half]]
        tens = [(*multipart(slices[i : i + 10]), len(slices[i : i + 10])) for i in range(half, size, 10)]
        run.add(
            f"store CT, 1 per request, {CLIENTS} clients", str(size), "MB/s", _stored_both_ways(run, singles)
        )
        run.add(
            f"store CT, 10 per request, {CLIENTS} clients", str(size), "MB/s", _stored_both_ways(run, tens)
        )
        run.instances += size
        studies.append(series)
    return studies


def retrieve_studies(run: Run, studies: list[Series], sizes: Sizes) -> None:
    for series in studies:
        size, ttfb, rate, rss = str(len(series)), {}, {}, {}
        expected = len(series) * FRAME_BYTES
        for name in run.order():
            link = Link(run.servers[name].root)
            read = partial(_timed, link, f"/studies/{series.study_uid}", INSTANCE_ACCEPT)
            try:
                times = [_peaked(run, name, read) for _ in range(RETRIEVES)]
            finally:
                link.close()
            if any(sent < expected for (_, _, sent), _ in times):
                raise RuntimeError(f"{name}: a study of {size} sent fewer bytes than its {expected}")
            ttfb[name] = statistics.median(first for (_, first, _), _ in times) * 1000
            rate[name] = statistics.median(sent / 1e6 / seconds for (seconds, _, sent), _ in times)
            rss[name] = max(peak for _, peak in times)  # the worst of the requests
        run.add("whole-study retrieve: time to first byte", size, "ms", ttfb)
        run.add("whole-study retrieve: throughput", size, "MB/s", rate)
        run.add("whole-study retrieve: server peak RSS", size, "MB", rss)
    for series in studies:
        paths = [f"/studies/{series.study_uid}/metadata"] * sizes.reads
        figures = {name: _median_reads(run, name, paths) for name in run.order()}
        run.add("study metadata", str(len(series)), "ms", figures)


def _timed(link: Link, path: str, accept: str) -> tuple[float, float, int]:
    answer = link.send("GET", path, {"Accept": accept}, keep=False)
    if answer.status != 200:
        raise RuntimeError(f"GET {path} answered {answer.status}: {answer.head()}")
    return answer.seconds, answer.first_byte, answer.length


def _median_reads(run: Run, name: str, paths: list[str], accept: str = JSON) -> float:
    """The median ms of GETs of `paths`, one after the other on one connection."""
    link = Link(run.servers[name].root)
    try:
        return statistics.median(_timed(link, path, accept)[0] * 1000 for path in paths)
    finally:
        link.close()


def multiframe(run: Run, builder: Builder, sizes: Sizes, scratch: Path) -> None:
    path = scratch / "multiframe.dcm"
    series = builder.multiframe(path, sizes.frames)
    megabytes = f"{path.stat().st_size / 1e6:.0f} MB"
    store, store_rss = {}, {}
    for name in run.order():
        link = Link(run.servers[name].root)
        body, content_type = multipart([path])
        send = partial(link.send, "POST", "/studies", {"Accept": JSON, "Content-Type": content_type}, body)
        try:
            answer, store_rss[name] = _peaked(run, name, send)
        finally:
            link.close()
        if stored_count(answer) != 1:
            raise RuntimeError(f"{name}: the multi-frame store answered {answer.status}: {answer.head()}")
        store[name] = path.stat().st_size / 1e6 / answer.seconds
    run.instances += 1
    run.add("store one multi-frame instance", megabytes, "MB/s", store)
    run.add("store one multi-frame instance: server peak RSS", megabytes, "MB", store_rss)
    instance = f"/studies/{series.study_uid}/series/{series.series_uid}/instances/{series.sops[0]}"
    ten = ",".join(str(n) for n in range(1, 11))
    for label, suffix, accept in (
        ("one frame", "/frames/1", FRAME_ACCEPT),
        ("ten frames", f"/frames/{ten}", FRAME_ACCEPT),
        ("rendered frame (JPEG)", "/frames/1/rendered", "image/jpeg"),
    ):
        times, peaks = {}, {}
        for name in run.order():
            reads = partial(_median_reads, run, name, [instance + suffix] * sizes.reads, accept)
            times[name], peaks[name] = _peaked(run, name, reads)
        run.add(f"multi-frame: {label}", megabytes, "ms", times)
        run.add(f"multi-frame: {label}: server peak RSS", megabytes, "MB", peaks)
    path.unlink()


def searches(run: Run, sizes: Sizes) -> None:
    made: list[tuple[str, str, bytes]] = []
    loaded = 0
    for target in sizes.searches:
        made += [small_study(n) for n in range(len(made), target)]
        batches = [made[i : i + SEARCH_BATCH] for i in range(loaded, target, SEARCH_BATCH)]
        bodies = [(*multipart([data for _, _, data in batch]), len(batch)) for batch in batches]
        load = {}
        for name in run.order():
            load[name] = store_rate(run.servers[name].root, bodies, per_instance=True)
        run.instances += target - loaded
        loaded = target
        size = f"{target:,} studies"
        run.add(f"store small studies, {SEARCH_BATCH} per request (filling the index)", size, "inst/s", load)
        rng = random.Random(target)
        picks = [rng.randrange(target) for _ in range(sizes.reads)]
        for label, queries in (
            ("search by PatientID", [f"PatientID={made[n][1]}" for n in picks]),
            ("search by StudyDate (one day)", [f"StudyDate={study_date(n)}" for n in picks]),
            ("search by StudyInstanceUID", [f"StudyInstanceUID={made[n][0]}" for n in picks]),
        ):
            paths = [f"/studies?{query}" for query in queries]
            run.add(label, size, "ms", {name: _median_reads(run, name, paths) for name in run.order()})
        run.add(
            "index bytes per instance",
            f"{run.instances:,} instances",
            "B",
            {name: run.index_bytes(name) / run.instances for name in run.servers},
        )


def run(
    quick: bool | None = None, index_sizes: tuple[int, ...] | None = None, searches_only: bool = False
) -> list[str]:
    sizes = QUICK if (quick if quick is not None else os.environ.get("BENCH_QUICK") == "1") else FULL
    if index_sizes:
        sizes = dataclasses.replace(sizes, searches=index_sizes)
    try:
        peer = orthanc.install()
    except orthanc.Unavailable as exc:
        return [f"skipped: Orthanc is needed side by side: {exc}"]
    load = os.getloadavg()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-realsize-") as folder:
        scratch = Path(folder)
        creation = creation_cost(scratch / "creation-probe")
        folders = {OURS: scratch / OURS, PEER: scratch / PEER}
        for path in folders.values():
            path.mkdir()
        workers = from_environment({}).workers  # make serve's default: one process per core
        ours = ours_server(folders[OURS], ["dicom_service.serve"], {}, workers if workers > 1 else 0)
        servers = {OURS: ours, PEER: orthanc.server(peer, folders[PEER])}
        bench = Run(servers, folders)
        try:
            for server in servers.values():
                server.start()
            if not searches_only:
                builder = Builder()
                warm_up(bench, builder)
                studies = store_studies(bench, builder, sizes)
                retrieve_studies(bench, studies, sizes)
                multiframe(bench, builder, sizes, scratch)
            searches(bench, sizes)
        finally:
            for server in servers.values():
                server.stop()
    after = os.getloadavg()
    return [
        f"ours: SQLite + folder, as `make serve` runs it ({workers} processes); Orthanc: SQLite + folder"
        " (its default); "
        f"{CLIENTS} clients for stores, one keep-alive client for reads (median of {sizes.reads}; "
        f"whole-study retrieve: median of {RETRIEVES}, peak RSS the largest)",
        *table(bench.rows),
        f"(creating a file in the bench's folder took {creation:.0f} µs"
        + (
            f": above {SLOW_CREATION_US} µs, files were removed nearby in the last minutes and Orthanc's"
            " store figures may suffer from it; run again after 5 quiet minutes, or with TMPDIR elsewhere)"
            if creation > SLOW_CREATION_US
            else ")"
        ),
        f"(load average {load[0]:.1f} before, {after[0]:.1f} after, on {os.cpu_count()} cores;"
        f" {time.perf_counter() - started:.0f} s)",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.realsize", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument(
        "--searches", help="index sizes for the searches, comma-separated (default 10000,100000)", default=""
    )
    parser.add_argument("--searches-only", action="store_true", help="only fill the index and search it")
    args = parser.parse_args()
    index_sizes = tuple(int(n) for n in args.searches.split(",") if n.strip())
    for line in run(args.quick, index_sizes or None, args.searches_only):
        print(line)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
