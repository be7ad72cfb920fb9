"""`python -m generator <command>`: a thin layer over the library; exit 0 ok, 1 failure, 2 bad input."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from generator.diagnostics import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    parser.add_argument(
        "--root", type=Path, default=PROJECT_ROOT, help="project folder (default: this checkout)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("lint", help="validate the registry and every spec; report every problem at once")
    generate = commands.add_parser("generate", help="render the service, served specs and doc pages")
    generate.add_argument(
        "--check", action="store_true", help="change nothing; fail if generated files are stale"
    )
    review = commands.add_parser(
        "review", help="classify spec changes between BASE and HEAD under the versioning policy"
    )
    review.add_argument("base", help="a spec file, a specs folder, or a git ref")
    review.add_argument("head", help="a spec file, a specs folder, or a git ref")
    review.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    review.add_argument(
        "--waivers", type=Path, default=None, help="waiver file (default: specs/review-waivers.yaml)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "lint":
            return _lint(args.root)
        if args.command == "generate":
            from generator.generate import run_generate

            return run_generate(args.root, check=args.check)
        from generator.review.command import run_review

        return run_review(args.base, args.head, args.format, args.waivers, args.root)
    except InputError as exc:
        print(exc.report(), file=sys.stderr)
        return 2


def _lint(root: Path) -> int:
    from generator.loader import load_api

    loaded = load_api(root / "specs")
    for warning in loaded.warnings:
        print(warning, file=sys.stderr)
    model = loaded.model
    for spec in model.specs.values():
        print(
            f"{spec.file}: OpenAPI valid, {len(spec.operations)} operations, examples valid "
            f"(version {spec.version.name})"
        )
    return 0
