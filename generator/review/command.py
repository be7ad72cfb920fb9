"""`python -m generator review BASE HEAD`: read both sides, compare, apply the versioning rule, report.

Exit 0 when nothing breaks or every breaking change is allowed (prerelease, new major version, waiver);
1 on a policy violation; 2 on bad input (the CLI prints the InputError).
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

from generator.diagnostics import Diagnostic, InputError
from generator.review.report import render
from generator.review.sources import WAIVERS_FILE, Source, open_source
from generator.review.verdict import review
from generator.review.waivers import Waiver, load_waivers

FORMATS = ("text", "markdown", "json")


def run_review(base: str, head: str, fmt: str, waivers_path: Path | None, root: Path) -> int:
    if fmt not in FORMATS:
        raise InputError(
            [Diagnostic("--format", None, "", "review-input", f"format must be one of {', '.join(FORMATS)}")]
        )
    with ExitStack() as stack:
        old = open_source(base, root, stack, "BASE")
        new = open_source(head, root, stack, "HEAD")
        waivers = _waivers(waivers_path, new)
        result = review(old, new, waivers)
    sys.stdout.write(render(result, fmt))
    return result.exit_code


def _waivers(path: Path | None, head: Source) -> list[Waiver]:
    """The given file (it must exist), else the one that travels with HEAD's specs, if any."""
    if path is not None:
        return load_waivers(path)
    default = head.folder / WAIVERS_FILE
    if not default.is_file():
        return []
    return load_waivers(default, f"{head.label}:specs/{WAIVERS_FILE}" if head.kind == "ref" else None)
