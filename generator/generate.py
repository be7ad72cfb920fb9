"""`make generate`: specs → model → every generated file, written all at once (or checked with --check)."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from dicom_service.web.binding import HANDLERS_DIR, orphaned
from generator.loader import load_api
from generator.render import environment
from generator.render.docs import render_docs
from generator.render.service import GENERATED_DIR, render_service
from generator.render.whats_new import RECORD_FILE, whats_new
from generator.validation_cache import ValidationCache
from generator.writer import Output, stale, write


def build_output(root: Path, today: dt.date | None = None) -> Output:
    """Everything `make generate` writes; `today` dates the changes to released versions first seen now."""
    loaded = load_api(root / "specs", cache=ValidationCache.of_project(root))
    for warning in loaded.warnings:
        print(warning, file=sys.stderr)
    env = environment(root / "templates", cache=root / "build" / "cache" / "templates")
    generated, once = render_service(loaded.model, env, root)
    news = whats_new(loaded.model, root / "specs", today or dt.date.today())
    doc_trees, doc_files = render_docs(loaded.model, env, news)
    files = {**doc_files, f"specs/{RECORD_FILE}": news.record}
    return Output(trees={GENERATED_DIR: generated, **doc_trees}, files=files, once={**once, **news.baselines})


def orphan_handlers(root: Path, output: Output) -> list[str]:
    expected = {Path(path).stem for path in output.once if path.startswith(HANDLERS_DIR + "/")}
    folder = root / HANDLERS_DIR
    present = [p.stem for p in folder.glob("*.py") if not p.name.startswith("_")] if folder.is_dir() else []
    return orphaned(expected, present)


def run_generate(root: Path, check: bool = False) -> int:
    started = time.perf_counter()
    output = build_output(root)
    orphans = orphan_handlers(root, output)
    if check:
        problems = stale(root, output)
        for line in [*problems, *orphans]:
            print(line, file=sys.stderr)
        if problems:
            print("generated files are stale: run `make generate` and commit the result", file=sys.stderr)
        if problems or orphans:
            return 1
        print(f"generated files are up to date ({len(output.all_owned())} files)")
        return 0
    created = write(root, output)
    for path in created:
        kept = "the version as released" if "/released/" in path else "yours to edit"
        print(f"created {path} ({kept}; never overwritten)")
    elapsed = time.perf_counter() - started
    print(f"generated {len(output.all_owned())} files in {elapsed:.2f} s")
    for line in orphans:
        print(line, file=sys.stderr)
    return 1 if orphans else 0
