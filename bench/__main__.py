"""Runs every bench and prints its figures; tools the peers need are installed under .bench/, never as project
dependencies."""

from __future__ import annotations

import importlib
import sys
import time

SECTIONS = ("bench.service", "bench.validation", "bench.generate", "bench.review")


def main() -> int:
    failed = 0
    for name in SECTIONS:
        started = time.perf_counter()
        print(f"== {name.split('.')[-1]}")
        try:
            lines = importlib.import_module(name).run()
        except Exception as exc:  # one failing bench must not hide the others' figures
            failed += 1
            print(f"   FAILED: {type(exc).__name__}: {exc}")
            continue
        for line in lines:
            print("   " + line)
        print(f"   ({time.perf_counter() - started:.1f} s)")
        sys.stdout.flush()
    return 1 if failed else 0


sys.exit(main())
