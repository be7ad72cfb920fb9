"""`make generate` for the three specs against openapi-generator's python-fastapi generator on the same specs.

Ours: the generator CLI in a fresh process on a copy of the project (what a user waits for). "cold" is the
first run of a fresh clone (every spec validated, every template compiled, ruff run); "warm" the best of 5
later runs (the specs' validation, compiled templates and formatted code are cached by content), which is
what an edit-generate loop sees for the specs not edited. The phases are measured in-process.
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


def ours() -> tuple[float, float, dict[str, float]]:
    """(cold, warm, phases of a warm run) for `python -m generator generate` on a copy of the project."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "project"
        ignore = shutil.ignore_patterns(".venv", ".git", ".bench", "build", "__pycache__")
        shutil.copytree(ROOT, copy, ignore=ignore)
        command = [sys.executable, "-m", "generator", "--root", str(copy), "generate"]
        cold = _timed(command, copy)
        warm = min(_timed(command, copy) for _ in range(5))
        return cold, warm, _phases(copy)


def _phases(root: Path) -> dict[str, float]:
    from generator.loader import load_api
    from generator.render import environment
    from generator.render.docs import render_docs
    from generator.render.service import render_service
    from generator.validation_cache import ValidationCache

    started = time.perf_counter()
    model = load_api(root / "specs", cache=ValidationCache(root / "build" / "cache" / "validated")).model
    loaded = time.perf_counter()
    env = environment(root / "templates", cache=root / "build" / "cache" / "templates")
    render_service(model, env, root)
    service = time.perf_counter()
    render_docs(model, env)
    docs = time.perf_counter()
    return {"load": loaded - started, "service": service - loaded, "docs": docs - service}


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
    cold, warm, phases = ours()
    lines = [
        f"ours: make generate (3 specs → service, served specs, doc pages) warm {warm:.2f} s (best of 5), "
        f"cold {cold:.2f} s (fresh clone: every spec validated)",
        "  warm phases in-process: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items()),
    ]
    try:
        theirs = peer()
    except Exception as exc:
        lines.append(f"peer: openapi-generator python-fastapi unavailable: {exc}")
        return lines
    lines.append(
        f"peer: openapi-generator 7.26.0 python-fastapi, 3 specs {theirs:.2f} s (best of 3 per spec, summed)"
    )
    for label, ours_time in (("warm", warm), ("cold", cold)):
        ratio = theirs / ours_time
        verdict = "met" if ratio >= 20 and ours_time < 1 else "NOT met"
        lines.append(
            f"goal, {label}: at least 20x faster and under 1 s ({verdict}: {ratio:.1f}x, {ours_time:.2f} s)"
        )
    return lines
