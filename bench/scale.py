"""Throughput of 1 versus 2 service processes over PostgreSQL (durable settings) + Azurite, on loopback.

The load scenario of `make loadtest` without the kill: client threads each store a study instance by
instance (one per request), search it after every store and retrieve it whole every other store.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.engines import missing_engines, start_engines
from tests.load import scenario

CLIENTS = 6
INSTANCES = 30


def run() -> list[str]:
    missing = missing_engines()
    if missing is not None:
        return [f"skipped: {missing}"]
    engines = start_engines(durable=True)
    lines = [f"{CLIENTS} clients x {INSTANCES} instances (CT_small, 39 KB), store + search + retrieve"]
    try:
        for processes in (1, 2):
            with tempfile.TemporaryDirectory(prefix="dicom-bench-") as folder:
                load = scenario.Load(CLIENTS, INSTANCES, seconds=300, kill=False, processes=processes)
                report = scenario.run(engines, Path(folder), load)
            if report.failures:
                raise RuntimeError("\n".join(report.lines()))
            rate = report.acknowledged / report.seconds
            lines.append(
                f"{processes} process{'es' if processes > 1 else ''}: {rate:.1f} stores/s,"
                f" median store {_median(report.store_ms)}, search {_median(report.search_ms)},"
                f" retrieve {_median(report.retrieve_ms)}"
            )
    finally:
        engines.stop()
    return lines


def _median(values: list[float]) -> str:
    values = sorted(values)
    return f"{values[len(values) // 2]:.0f} ms" if values else "-"
