"""The DICOMweb service over HTTP against Orthanc's DICOMweb plugin, side by side in one run, once per storage
configuration of bench/configurations.py (SQLite + folder, 1 process; PostgreSQL + Azurite, 2 processes).

Each round starts both servers as processes of their own on loopback, each on a fresh empty store, and runs
every measure of bench/workload.py on one then the other with the same keep-alive client, the order flipping
from round to round so that drift in machine load hits both alike. Figures are the median of the rounds
(reads: each round's median latency; stores: instances per second); the ratio reads "faster" when ours is
ahead. Peak RSS (VmHWM) is shown beside them: of the server process, or the sum of ours' worker processes
when it runs several. A configuration whose engines are missing prints "skipped: <why>"; the others run.

The one client is sequential and keeps its connection: with 2 processes, one of them serves it. What a
second process adds under concurrent clients is measured by `python -m bench scale`.

    python -m bench dicomweb               # this part alone, within `make bench`'s runner
    python -m bench.dicomweb --peer-only   # Orthanc only (to check the harness)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench import orthanc
from bench.configurations import CONFIGURATIONS, OURS, Configuration
from bench.servers import Server, ServerError
from bench.workload import MEASURES, BenchError, Client, Measure, Study, make_studies

ROUNDS = 3
PEER = "Orthanc"
MEMORY = "peak RSS"  # the key of the memory figures; each configuration names how they are counted


Figures = dict[str, dict[str, list[float]]]  # server → measure label (or MEMORY) → one figure per round


@dataclass
class Results:
    figures: Figures
    # (connections opened, requests sent) per server and round
    connections: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # server → measure label → the wrong answer that ended that measure (no figure is kept for it)
    failures: dict[str, dict[str, str]] = field(default_factory=dict)


def _round(servers: list[Server], studies: list[Study], client: Client, results: Results) -> None:
    """Both servers started on their fresh stores, then every measure on each in turn, then both stopped."""
    try:
        for server in servers:
            server.start()
        for measure in MEASURES:
            for server in servers:
                server.check_alive()
                failed = results.failures.setdefault(server.name, {})
                if measure.label in failed:
                    continue
                client.server = server.name
                try:
                    figure = measure.run(client, server.root, studies)
                except BenchError as exc:  # this measure is over for this server; the others still run
                    failed[measure.label] = str(exc)
                    results.figures[server.name][measure.label].clear()
                    continue
                results.figures[server.name][measure.label].append(figure)
        for server in servers:
            results.connections.setdefault(server.name, []).append(client.connections(server.root))
    finally:
        for server in servers:
            server.stop()
            if server.peak_rss_mb is not None:
                results.figures[server.name][MEMORY].append(server.peak_rss_mb)


def measure(configuration: Configuration, peer: orthanc.Orthanc | None, peer_only: bool = False) -> Results:
    """Figures of every round for each server that could run; the configuration's engines are running."""
    names = ([] if peer_only else [OURS]) + ([PEER] if peer else [])
    if not names:
        raise ServerError("neither server can run")
    studies = make_studies()
    labels = [m.label for m in MEASURES] + [MEMORY]
    results = Results({name: {label: [] for label in labels} for name in names})
    client = Client()
    try:
        for number in range(ROUNDS):
            with tempfile.TemporaryDirectory(prefix="bench-dicomweb-") as scratch:
                servers: list[Server] = []
                if OURS in names:
                    (Path(scratch) / OURS).mkdir()
                    servers.append(configuration.ours(Path(scratch) / OURS))
                if peer:
                    (Path(scratch) / PEER).mkdir()
                    servers.append(configuration.peer(peer, Path(scratch) / PEER))
                if number % 2:  # the other order every other round
                    servers.reverse()
                _round(servers, studies, client, results)
    finally:
        client.close()
    return results


def _cell(values: list[float], unit: str) -> str:
    if not values:
        return "—"
    digits = 0 if unit in ("inst/s", "MB") or statistics.median(values) >= 100 else 1
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:.{digits}f} {unit} ({low:.{digits}f}–{high:.{digits}f})"


def _ratio(ours: list[float], peer: list[float], higher_is_better: bool) -> float | None:
    if not ours or not peer:
        return None
    a, b = statistics.median(ours), statistics.median(peer)
    return a / b if higher_is_better else b / a


def table(results: Results, memory: str = MEMORY) -> list[str]:
    """The measures, ours, Orthanc and their ratio, one row each, peak RSS (labelled `memory`) last."""
    ours, peer = results.figures.get(OURS, {}), results.figures.get(PEER, {})
    failed = {name: set(labels) for name, labels in results.failures.items()}

    def cell(name: str, label: str, unit: str) -> str:
        if label in failed.get(name, ()):
            return "FAILED"
        return _cell(results.figures.get(name, {}).get(label, []), unit)

    rows: list[tuple[str, str, str, str]] = [("measure", OURS, PEER, "ratio (>1: ours ahead)")]
    behind = []
    measures: list[Measure | None] = [*MEASURES, None]
    for m in measures:
        label, unit, higher = (m.label, m.unit, m.higher_is_better) if m else (MEMORY, "MB", False)
        ratio = _ratio(ours.get(label, []), peer.get(label, []), higher)
        shown = label if m else memory
        if label in failed.get(OURS, ()):
            verdict = "—"
            behind.append(f"{label} failed")
        elif ratio is None:
            verdict = "—"
        elif m is None:
            verdict = f"{ratio:.2f}x ({'less' if ratio >= 1 else 'more'} memory)"
        else:
            verdict = f"{ratio:.2f}x faster" if ratio >= 1 else f"{ratio:.2f}x (slower)"
            if ratio < 1:
                behind.append(label)
        rows.append((shown, cell(OURS, label, unit), cell(PEER, label, unit), verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    if ours and peer:
        goal = "met" if not behind else f"NOT met: {'; '.join(behind)}"
    else:
        goal = "not measured (one side missing)"
    lines.append(f"goal: ahead of Orthanc on every speed figure: {goal}")
    for name, labels in results.failures.items():
        for label, message in labels.items():
            lines.append(f"{name} failed {label!r}: {message}")
    return lines


def section(configuration: Configuration, peer: orthanc.Orthanc | None, peer_only: bool = False) -> list[str]:
    """One configuration's header and table, or "skipped: <why>" when its engines are missing here."""
    header = configuration.title + (f"; {configuration.peer_title(peer)}" if peer else "")
    missing = configuration.missing()
    if missing is not None:
        return [header, f"skipped: {missing}"]
    with configuration.opened():
        results = measure(configuration, peer, peer_only)
    links = ", ".join(
        f"{name} {sum(c for c, _ in per_round)} connections for {sum(r for _, r in per_round)} requests"
        for name, per_round in results.connections.items()
    )
    return [header, *table(results, configuration.memory), f"(keep-alive: {links})", *configuration.notes]


def run(peer_only: bool = False) -> list[str]:
    lines: list[str] = []
    peer: orthanc.Orthanc | None = None
    try:
        peer = orthanc.install()
    except orthanc.Unavailable as exc:
        lines.append(f"Orthanc left out: {exc}")
    for configuration in CONFIGURATIONS:
        try:
            lines += section(configuration, peer, peer_only)
        except Exception as exc:  # one failing configuration must not hide the other's figures
            lines += [configuration.title, f"FAILED: {type(exc).__name__}: {exc}"]
        lines.append("")
    return [
        *lines,
        f"(median of {ROUNDS} rounds, min–max in brackets; reads: each round's median request; one "
        "sequential keep-alive client, servers alternating, each round on fresh empty stores)",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dicomweb", description="DICOMweb service against Orthanc"
    )
    parser.add_argument("--peer-only", action="store_true", help="measure Orthanc alone (checks the harness)")
    args = parser.parse_args()
    for line in run(args.peer_only):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
