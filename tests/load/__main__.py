"""`make loadtest` (python -m tests.load [--clients N] [--instances N] [--seconds S] [--no-kill]
[--scenarios kill,postgresql-stopped,…] [--fault-seconds S]): starts PostgreSQL (durable settings) and
Azurite on loopback, runs each scenario (the kill of a process mid-stores, then each engine fault and a
rolling restart under load: tests/load/faults.py; a SIGTERM during a database outage with several workers:
tests/load/stop_bound.py), prints the figures, exits 1 when anything went wrong."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.engines import missing_engines, start_engines
from tests.load.faults import FAULTS, FaultLoad
from tests.load.faults import run as run_fault
from tests.load.scenario import Load, run
from tests.load.stop_bound import run as run_stop

SCENARIOS = ("kill", *FAULTS, "stop-in-outage")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load")
    parser.add_argument("--clients", type=int, default=Load.clients)
    parser.add_argument("--instances", type=int, default=Load.instances_per_client, help="per client")
    parser.add_argument("--seconds", type=float, default=Load.seconds, help="bound on the store phase")
    parser.add_argument("--no-kill", action="store_true", help="do not kill a process midway")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of: {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--fault-seconds", type=float, default=10.0, help="how long each engine fault lasts")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    missing = missing_engines()
    if missing is not None:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    failures = 0
    engines = start_engines(durable=True)
    try:
        for scenario in chosen:
            with tempfile.TemporaryDirectory(prefix="dicom-load-") as folder:
                if scenario == "kill":
                    load = Load(args.clients, args.instances, args.seconds, kill=not args.no_kill)
                    report = run(engines, Path(folder), load)
                    lines, failed = report.lines(), report.failures
                elif scenario == "stop-in-outage":
                    stop_report = run_stop(engines, Path(folder), 2, args.fault_seconds, args.clients)
                    lines, failed = stop_report.lines(), stop_report.failures
                else:
                    fault = FaultLoad(
                        scenario, args.fault_seconds, args.clients, args.instances, args.seconds
                    )
                    fault_report = run_fault(engines, Path(folder), fault)
                    lines, failed = fault_report.lines(), fault_report.failures
            print("\n".join(lines), flush=True)
            failures += failed
    finally:
        engines.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
