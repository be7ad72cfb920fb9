"""The Makefile's wrappers say what the commands they wrap say: formats, exit codes, strict docs."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.fixtures import ROOT


def make(*args: str) -> subprocess.CompletedProcess[str]:
    """`make` with this interpreter as the project's Python: no `.venv` needed (a fresh clone has none)."""
    hermetic = ["-o", ".venv/.installed", f"PY={sys.executable}"]
    return subprocess.run(
        ["make", "--no-print-directory", *hermetic, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_make_review_takes_the_format_and_names_the_reviews_exit_code() -> None:
    run = make("review", "BASE=HEAD", "FORMAT=json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["exit_code"] == 0
    unreadable = make("review", "BASE=no-such-ref-anywhere")
    assert unreadable.returncode != 0
    assert "review: exit 2: input that cannot be read" in unreadable.stderr


def test_make_docs_is_strict_and_not_quiet() -> None:
    """`mkdocs build --strict --quiet` exits 0 on warnings (the quiet logger never counts them)."""
    recipe = make("-n", "docs").stdout
    assert (
        re.search(r"mkdocs build --strict(\s|$)", recipe) and "--quiet" not in recipe and " -q" not in recipe
    )


def test_every_lifecycle_flag_reaches_its_command() -> None:
    expected = {
        ("version-new", "NAME=3", "FROM=2", "PRERELEASE=1", "DRY_RUN=1"): (
            "version new 3 --from 2 --prerelease --dry-run"
        ),
        ("version-release", "NAME=3", "DATE=2027-01-15", "DRY_RUN=1"): (
            "version release 3 --date 2027-01-15 --dry-run"
        ),
        ("version-deprecate", "NAME=1", "SUNSET=2028-06-30", "DEPRECATION=2027-01-01", "DRY_RUN=1"): (
            "version deprecate 1 --sunset 2028-06-30 --deprecation 2027-01-01 --dry-run"
        ),
        ("version-retire", "NAME=1.0-prerelease", "BEFORE_SUNSET=1", "DRY_RUN=1"): (
            "version retire 1.0-prerelease --before-sunset --dry-run"
        ),
    }
    for args, command in expected.items():
        recipe = " ".join(make("-n", *args).stdout.split())
        assert f"-m generator {command}" in recipe, (args, recipe)
