"""Runs every bench and prints its figures; tools the peers need are installed under .bench/ (Orthanc with
apt), never as project dependencies.

    python -m bench                    # every part
    python -m bench dicomweb review    # only the parts named
"""

from __future__ import annotations

import importlib
import sys
import time

SECTIONS = (
    "bench.service",
    "bench.auth",
    "bench.validation",
    "bench.dicomweb",
    "bench.scale",
    "bench.realsize",
    "bench.memory",
    "bench.generate",
    "bench.review",
)


def main(argv: list[str]) -> int:
    names = {name.split(".")[-1]: name for name in SECTIONS}
    unknown = [arg for arg in argv if arg not in names]
    if unknown:
        print(f"unknown part(s) {', '.join(unknown)}; the parts are: {', '.join(names)}", file=sys.stderr)
        return 2
    failed = 0
    for short, name in names.items():
        if argv and short not in argv:
            continue
        started = time.perf_counter()
        print(f"== {short}")
        sys.stdout.flush()
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


sys.exit(main(sys.argv[1:]))
