"""The DICOMweb service over HTTP against Orthanc's DICOMweb plugin, side by side in one run.

Each round starts both servers as processes of their own on loopback, each on a fresh empty store (a new
temporary folder), and runs every measure of bench/workload.py on one then the other with the same
keep-alive client, the order flipping from round to round so that drift in machine load hits both alike.
Figures are the median of the rounds (reads: each round's median latency; stores: instances per second);
the ratio reads "faster" when ours is ahead. Peak RSS (VmHWM) of each server process is shown beside them.

    python -m bench dicomweb               # this part alone, within `make bench`'s runner
    python -m bench.dicomweb --peer-only   # Orthanc only (to check the harness)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench import orthanc
from bench.servers import Server, ServerError, free_port
from bench.workload import MEASURES, BenchError, Client, Measure, Study, make_studies

ROUNDS = 3
OURS, PEER = "ours", "Orthanc"
MEMORY = "peak RSS of the server process"


def service(scratch: Path) -> Server:
    """The real service (`make serve`): uvicorn in this interpreter, its index and files under `scratch`."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "dicom_service.app:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "DATA_DIR": str(scratch / "data")}
    base = f"http://127.0.0.1:{port}"
    return Server(OURS, command, base, "/v2", "/v2/studies", scratch / "service.log", env=env)


Figures = dict[str, dict[str, list[float]]]  # server → measure label (or MEMORY) → one figure per round


@dataclass
class Results:
    figures: Figures
    notes: list[str] = field(default_factory=list)  # why a server was left out
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


def measure(peer_only: bool = False) -> Results:
    """Figures of every round for each server that could run."""
    notes = []
    peer: tuple[Path, Path] | None = None
    try:
        peer = orthanc.install()
    except orthanc.Unavailable as exc:
        notes.append(f"Orthanc left out: {exc}")
    names = ([] if peer_only else [OURS]) + ([PEER] if peer else [])
    if not names:
        raise ServerError("; ".join(notes))
    studies = make_studies()
    labels = [m.label for m in MEASURES] + [MEMORY]
    results = Results({name: {label: [] for label in labels} for name in names}, notes)
    client = Client()
    try:
        for number in range(ROUNDS):
            with tempfile.TemporaryDirectory(prefix="bench-dicomweb-") as scratch:
                servers: list[Server] = []
                if OURS in names:
                    (Path(scratch) / OURS).mkdir()
                    servers.append(service(Path(scratch) / OURS))
                if peer:
                    (Path(scratch) / PEER).mkdir()
                    servers.append(orthanc.server(*peer, Path(scratch) / PEER))
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


def table(results: Results) -> list[str]:
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
        rows.append((label, cell(OURS, label, unit), cell(PEER, label, unit), verdict))
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


def run(peer_only: bool = False) -> list[str]:
    results = measure(peer_only)
    links = ", ".join(
        f"{name} {sum(c for c, _ in per_round)} connections for {sum(r for _, r in per_round)} requests"
        for name, per_round in results.connections.items()
    )
    return [
        *results.notes,
        *table(results),
        f"(keep-alive: {links})",
        f"(median of {ROUNDS} rounds, min–max in brackets; reads: each round's median request; one "
        "keep-alive client, servers alternating, each round on fresh empty stores)",
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
