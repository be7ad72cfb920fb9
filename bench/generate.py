"""`make generate` for the three specs against openapi-generator's python-fastapi generator on the same specs.

Ours: the generator CLI in a fresh process on a copy of the project (what a user waits for), best of 5.
Peer: openapi-generator-cli (PyPI wheel bundling the jar; needs Java), installed into .bench/ at run time,
one run per spec (it takes one document per run), best of 3 per spec, summed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
PEER = "openapi-generator-cli==7.26.0"
SPECS = ("v1.0-prerelease.yaml", "v1.yaml", "v2.yaml")


def _timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} … failed:\n{(result.stderr or result.stdout)[-2000:]}")
    return elapsed


def ours() -> float:
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "project"
        shutil.copytree(
            ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", ".bench", "build", "__pycache__")
        )
        command = [sys.executable, "-m", "generator", "--root", str(copy), "generate"]
        return min(_timed(command, copy) for _ in range(5))


def peer_cli() -> Path:
    venv = BENCH / "openapi-generator"
    cli = venv / "bin" / "openapi-generator-cli"
    if not cli.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", PEER], check=True)
    return cli


def peer() -> float:
    if shutil.which("java") is None:
        raise RuntimeError("openapi-generator needs Java; none is installed")
    cli = peer_cli()
    total = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for spec in SPECS:
            out = Path(scratch) / spec
            command = [
                str(cli),
                "generate",
                "-i",
                str(ROOT / "specs" / spec),
                "-g",
                "python-fastapi",
                "-o",
                str(out),
            ]
            total += min(_timed(command, ROOT) for _ in range(3))
    return total


def run() -> list[str]:
    mine = ours()
    lines = [f"ours: make generate (3 specs → service, served specs, doc pages) {mine:.2f} s (best of 5)"]
    try:
        theirs = peer()
    except Exception as exc:
        lines.append(f"peer: openapi-generator python-fastapi unavailable: {exc}")
        return lines
    lines.append(
        f"peer: openapi-generator 7.26.0 python-fastapi, 3 specs {theirs:.2f} s (best of 3 per spec, summed)"
    )
    ratio = theirs / mine
    verdict = "met" if ratio >= 20 and mine < 1 else "NOT met"
    lines.append(f"goal: at least 20x faster and under 1 s ({verdict}: {ratio:.1f}x, {mine:.2f} s)")
    return lines
