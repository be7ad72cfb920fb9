"""`make loadtest` (python -m tests.load [--clients N] [--instances N] [--seconds S] [--no-kill]):
starts PostgreSQL (durable settings) and Azurite on loopback, runs the scenario, prints the figures,
exits 1 when anything went wrong."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.engines import missing_engines, start_engines
from tests.load.scenario import Load, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load")
    parser.add_argument("--clients", type=int, default=Load.clients)
    parser.add_argument("--instances", type=int, default=Load.instances_per_client, help="per client")
    parser.add_argument("--seconds", type=float, default=Load.seconds, help="bound on the store phase")
    parser.add_argument("--no-kill", action="store_true", help="do not kill a process midway")
    args = parser.parse_args(argv)
    missing = missing_engines()
    if missing is not None:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    load = Load(args.clients, args.instances, args.seconds, kill=not args.no_kill)
    engines = start_engines(durable=True)
    try:
        with tempfile.TemporaryDirectory(prefix="dicom-load-") as folder:
            report = run(engines, Path(folder), load)
    finally:
        engines.stop()
    print("\n".join(report.lines()))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
