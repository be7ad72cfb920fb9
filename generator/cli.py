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
    _add_version_commands(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "version":
            from generator.lifecycle.command import run_version

            return run_version(args)
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


def _add_version_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    version = commands.add_parser("version", help="add, release, deprecate or retire an API version")
    steps = version.add_subparsers(dest="step", required=True)
    new = steps.add_parser(
        "new", help="register a version as a prerelease; its spec starts as a copy of --from"
    )
    new.add_argument("name", help="the new version (`3`; with --prerelease `3` becomes `3.0-prerelease`)")
    new.add_argument("--from", dest="source", required=True, help="the version whose spec to start from")
    new.add_argument(
        "--prerelease", action="store_true", help="spell the name with the label (`3.0-prerelease`)"
    )
    release = steps.add_parser("release", help="promote a prerelease: status released, with its date")
    release.add_argument("name")
    release.add_argument("--date", help="YYYY-MM-DD: the day it is released (default: today)")
    deprecate = steps.add_parser("deprecate", help="deprecate a version, with its sunset date")
    deprecate.add_argument("name")
    deprecate.add_argument("--sunset", required=True, help="YYYY-MM-DD: when it may stop answering")
    deprecate.add_argument("--deprecation", help="YYYY-MM-DD: when it was announced (default: today)")
    retire = steps.add_parser("retire", help="stop serving a deprecated version after its sunset")
    retire.add_argument("name")
    retire.add_argument(
        "--before-sunset", action="store_true", help="retire it before its announced sunset date"
    )
    for step in (new, release, deprecate, retire):
        step.add_argument("--dry-run", action="store_true", help="check and print the changes; write nothing")


def _lint(root: Path) -> int:
    from generator.loader import load_api
    from generator.validation_cache import ValidationCache

    # The same cache as `generate`: a document that passed the slow checks unchanged is not checked again.
    loaded = load_api(root / "specs", cache=ValidationCache.of_project(root))
    for warning in loaded.warnings:
        print(warning, file=sys.stderr)
    model = loaded.model
    for spec in model.specs.values():
        print(
            f"{spec.file}: OpenAPI valid, {len(spec.operations)} operations, examples valid "
            f"(version {spec.version.name})"
        )
    return 0
