"""`python -m generator review BASE HEAD`: read both sides, compare, apply the versioning rule, report.

Exit 0 when nothing breaks or every breaking change is allowed (prerelease, new major version, waiver);
1 on a policy violation; 2 on input that cannot be read, with every problem of both sides: on stderr, and for
`--format json` or `markdown` also as that report on stdout.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

from generator.diagnostics import Diagnostic, InputError
from generator.loader import paused_gc
from generator.review.report import render, render_refusal
from generator.review.sources import WAIVERS_FILE, Source, open_source
from generator.review.verdict import review
from generator.review.waivers import Waiver, load_waivers

FORMATS = ("text", "markdown", "json")


def run_review(base: str, head: str, fmt: str, waivers_path: Path | None, root: Path) -> int:
    with paused_gc():  # measured on GitHub's 12 MB description: 8.3 s → 1.7 s
        return _run_review(base, head, fmt, waivers_path, root)


def _run_review(base: str, head: str, fmt: str, waivers_path: Path | None, root: Path) -> int:
    if fmt not in FORMATS:
        raise InputError(
            [Diagnostic("--format", None, "", "review-input", f"format must be one of {', '.join(FORMATS)}")]
        )
    with ExitStack() as stack:
        problems: dict[str, list[Diagnostic]] = {}
        sides: dict[str, Source] = {}
        for role, arg in (("BASE", base), ("HEAD", head)):
            try:
                sides[role] = open_source(arg, root, stack, role)
            except InputError as exc:
                problems[role] = exc.diagnostics
        if problems:
            return _refuse(base, head, problems, fmt)
        old, new = sides["BASE"], sides["HEAD"]
        try:
            waivers = _waivers(waivers_path, new)
        except InputError as exc:
            return _refuse(base, head, {"waivers": exc.diagnostics}, fmt)
        try:
            result = review(old, new, waivers)
        except InputError as exc:  # what only a comparison finds (two paths that differ in parameter names)
            return _refuse(base, head, {"documents": exc.diagnostics}, fmt)
    sys.stdout.write(render(result, fmt))
    return result.exit_code


def _refuse(base: str, head: str, problems: dict[str, list[Diagnostic]], fmt: str) -> int:
    """Exit 2 with every problem of both sides: on stderr, and as the report asked for (JSON, Markdown)."""
    everything = [d for found in problems.values() for d in found]
    if fmt == "text":
        raise InputError(everything)
    print(InputError(everything).report(), file=sys.stderr)
    sys.stdout.write(render_refusal(base, head, problems, fmt))
    return 2


def _waivers(path: Path | None, head: Source) -> list[Waiver]:
    """The given file (it must exist), else the one that travels with HEAD's specs, if any."""
    if path is not None:
        return load_waivers(path)
    default = head.folder / WAIVERS_FILE
    if not default.is_file():
        return []
    return load_waivers(default, f"{head.label}:specs/{WAIVERS_FILE}" if head.kind == "ref" else None)
