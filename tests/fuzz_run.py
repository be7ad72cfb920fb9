"""`make fuzz`: schemathesis' CLI, every check and phase, against the mock and the service, each version.

Each application runs under uvicorn on a free local port (the service with an empty data folder of its own);
the CLI reads each version's served document with the project's hooks (tests/fuzz_hooks.py) and settings
(tests/data/schemathesis.toml). Reports go to build/fuzz/; one line per run is printed, and the exit status is
non-zero when any run found a failure or an error.

    python -m tests.fuzz_run [--examples N] [--target mock|service] [--version 2] [--generic] ...

`--generic` runs schemathesis as any client would: without the hooks and without the per-operation
expectations of the project's settings (tests/data/schemathesis-generic.toml: the seed and the checks only),
so what it finds is what the specs' standard keywords do not state.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "data" / "schemathesis.toml"
GENERIC_CONFIG = ROOT / "tests" / "data" / "schemathesis-generic.toml"
REPORTS = ROOT / "build" / "fuzz"
TARGETS = {"mock": "dicom_service.app:mock", "service": "dicom_service.app:app"}
# The mock answers from the spec's examples and keeps no state, so a deleted resource is still "there".
EXCLUDED_CHECKS = {"mock": ["use_after_free"], "service": []}
SUMMARY = re.compile(r"(\d+) generated, (.*?)$", re.M)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")


def run_one(
    base: str, segment: str, examples: int, report: Path, excluded: list[str], generic: bool = False
) -> tuple[bool, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not generic:
        env["SCHEMATHESIS_HOOKS"] = "tests.fuzz_hooks"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(GENERIC_CONFIG if generic else CONFIG),
        "run",
        f"{base}/{segment}/api.json",
        "--max-examples",
        str(examples),
        "--workers",
        "1",
        "--no-color",
        *(["--exclude-checks", ",".join(excluded)] if excluded else []),
    ]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    report.write_text(result.stdout + result.stderr, encoding="utf-8")
    found = SUMMARY.findall(result.stdout)
    summary = f"{found[-1][0]} generated, {found[-1][1]}" if found else "no summary (see the report)"
    return result.returncode == 0, f"{summary} in {time.monotonic() - started:.0f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30, help="examples per operation (default 30)")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="default: both")
    parser.add_argument("--version", action="append", help="version segment, e.g. v2 (default: every one)")
    parser.add_argument("--generic", action="store_true", help="no project hooks or expectations")
    args = parser.parse_args(argv)
    from dicom_service.generated import manifest

    segments = args.version or [v.segments[0] for v in manifest.VERSIONS]
    REPORTS.mkdir(parents=True, exist_ok=True)
    clean = True
    for target in args.target or list(TARGETS):
        with tempfile.TemporaryDirectory(prefix=f"fuzz-{target}-") as data:
            port = free_port()
            command = [sys.executable, "-m", "uvicorn", TARGETS[target], "--host", "127.0.0.1"]
            server = subprocess.Popen(
                [*command, "--port", str(port), "--log-level", "warning"],
                cwd=ROOT,
                env={**os.environ, "DATA_DIR": data},
                stdout=subprocess.DEVNULL,
                stderr=(REPORTS / f"{target}-server.log").open("w"),
            )
            try:
                base = f"http://127.0.0.1:{port}"
                wait_until_up(f"{base}/{segments[0]}/api.json", server)
                for segment in segments:
                    kind = "-generic" if args.generic else ""
                    report = REPORTS / f"{target}-{segment}{kind}.txt"
                    excluded = EXCLUDED_CHECKS[target]
                    ok, line = run_one(base, segment, args.examples, report, excluded, args.generic)
                    clean &= ok
                    verdict = "ok  " if ok else "FAIL"
                    where = report.relative_to(ROOT)
                    print(f"{verdict} {target:8} {segment:16} {line}  ({where})", flush=True)
            finally:
                server.terminate()
                server.wait(timeout=30)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
