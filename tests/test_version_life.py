"""A version's whole life as a series of pull requests, in a copy of the project driven by the real commands.

`version new` → a breaking change in the new prerelease (allowed, listed against its predecessor) →
`version release` → a breaking change in the released version (refused) → `version deprecate` of an older
version → `version retire` of the oldest. After each merged step the generated files are current, the specs
pass every lint rule and the service built from the copy answers with the versions the registry now holds.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.cli import main
from generator.lifecycle.registry_file import read_registry
from generator.review.stale_prose import stale_prose
from tests.fixtures import ROOT, parse_yaml

# Run in the copy with its own code: requests through the copy's app, every version the registry serves.
SERVICE_CHECK = """
import json, sys
from starlette.testclient import TestClient
from dicom_service.app import app
from generator.lifecycle.registry_file import read_registry
from generator.review.stale_prose import stale_prose
registry = read_registry(__import__("pathlib").Path("specs")).registry
answers = {}
with TestClient(app) as client:
    for version in (*registry.versions, *registry.retired):
        r = client.get(f"/{version.segment}/changefeed/latest", headers={"accept": "application/json"})
        answers[version.name] = [r.status_code, r.headers.get("api-supported-versions"),
                                 r.headers.get("api-deprecated-versions"), r.headers.get("sunset")]
json.dump(answers, sys.stdout)
"""


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


class Project:
    """A git repository holding a copy of this project's tracked files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        tracked = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True
        ).stdout.decode()
        for name in filter(None, tracked.split("\0")):
            source = ROOT / name
            if source.is_file():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, root / name)
        (ROOT / "build" / "cache").mkdir(parents=True, exist_ok=True)
        (root / "build").symlink_to(ROOT / "build", target_is_directory=True)  # the validation cache
        self.git("init", "-q", "-b", "main")
        self.commit("the project")

    def git(self, *args: str) -> str:
        env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test"}
        env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.test"}
        done = subprocess.run(
            ["git", "-C", str(self.root), *args], capture_output=True, text=True, check=True, env=env
        )
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "-m", message)
        return self.git("rev-parse", "HEAD")

    def run(self, *args: str) -> Run:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--root", str(self.root), *args])
        return Run(code, out.getvalue(), err.getvalue())

    def review(self, base: str, fmt: str = "json") -> Run:
        return self.run("review", "--format", fmt, base, str(self.root / "specs"))

    def merged(self) -> None:
        """What CI checks on a merged step: the specs load with every rule, generated files are current, and
        no page, README or spec example contradicts the registry (a stale header or version example).
        `generate` loads the specs with every lint rule; that a second render changes nothing is
        test_generate's determinism test, not repeated here."""
        done = self.run("generate")
        assert done.code == 0, done.err
        registry = read_registry(self.root / "specs").registry
        assert [str(s) for s in stale_prose(self.root, registry)] == []
        guide = self.page("migration.md")
        assert "Check that your client handles the new contract." not in guide

    def service(self) -> dict[str, list[Any]]:
        env = {**os.environ, "PYTHONPATH": str(self.root), "DATA_DIR": str(self.root / "data")}
        done = subprocess.run(
            [sys.executable, "-c", SERVICE_CHECK],
            cwd=self.root,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        answers: dict[str, list[Any]] = json.loads(done.stdout)
        return answers

    def edit_spec(self, name: str, change: Any) -> None:
        path = self.root / "specs" / f"v{name}.yaml"
        document = parse_yaml(path.read_text(encoding="utf-8"))
        change(document)
        path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")

    def page(self, path: str) -> str:
        return (self.root / "site" / path).read_text(encoding="utf-8")


def _drop_export(document: dict[str, Any]) -> None:
    for path in [p for p in document["paths"] if p.endswith("/export")]:
        del document["paths"][path]


def _drop_includemetadata(document: dict[str, Any]) -> None:
    document["paths"]["/changefeed/latest"]["get"]["parameters"] = []


def _add_oldestfirst(document: dict[str, Any]) -> None:
    parameter = {
        "name": "oldestfirst",
        "in": "query",
        "description": "Oldest first.",
        "schema": {"type": "boolean"},
    }
    document["paths"]["/changefeed/latest"]["get"].setdefault("parameters", []).append(parameter)


def _findings(review: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [c for c in review["changes"] if c["version"] == key]


def test_a_version_lives_its_whole_life_in_pull_requests(tmp_path: Path) -> None:
    project = Project(tmp_path)
    registry = read_registry(project.root / "specs").registry
    newest = registry.versions[-1]
    new = str(newest.number.major + 1)  # `3` with today's registry
    oldest, released = registry.versions[0], [v for v in registry.versions if not v.prerelease]
    supported_before = [v.name for v in registry.versions if not v.deprecated]

    # 1. `version new`: a prerelease copy of the newest version; the review compares it with its predecessor.
    main_commit = project.git("rev-parse", "HEAD")
    assert project.run("version", "new", new, "--from", newest.name).code == 0
    project.merged()
    review = project.review(main_commit).json
    assert review["exit_code"] == 0 and review["breaking"] is False
    assert [c["rule"] for c in _findings(review, new)] == ["version-added"]
    (against,) = [v for v in review["versions"] if v["against"]]
    assert against["version"] == new and against["against"] == newest.name
    assert _findings(review, f"{newest.name} → {new}") == []  # a copy: nothing differs yet
    assert read_registry(project.root / "specs").registry.get(new).prerelease
    versions_page = project.page("versions.md")
    # the newest version may itself be a prerelease, which is never recommended
    recommended = [v for v in registry.versions if not v.prerelease and not v.deprecated][-1]
    assert f"New clients should use **version {recommended.name}**" in versions_page
    assert f"API version `{new}` is a prerelease" in project.page(f"conformance/v{new}.md")
    answers = project.service()
    assert answers[new][:2] == [204, ", ".join([*supported_before, new])]  # served, with no data yet
    step1 = project.commit(f"version {new}, a prerelease")

    # 2. A breaking change in the prerelease: allowed, and listed against the predecessor.
    project.edit_spec(new, _drop_export)
    project.merged()
    review = project.review(step1).json
    assert review["exit_code"] == 0 and review["verdict"] == "allowed"
    assert {c["rule"] for c in _findings(review, new)} == {"endpoint-removed"}
    assert all(c["exemption"] == "prerelease" for c in _findings(review, new))
    succession = _findings(review, f"{newest.name} → {new}")
    assert {c["rule"] for c in succession} == {"endpoint-removed"}
    assert all(c["exemption"] == "new-major" for c in succession)
    headline = "\n".join(project.review(step1, "markdown").out.splitlines()[:8])
    n = len(succession)
    assert (
        f"**Version {new} against version {newest.name}: {n} change(s), {n} breaking (allowed: new major "
        "version), 0 declared behaviour change(s).**"
    ) in headline
    step2 = project.commit(f"version {new} drops export")

    # 3. `version release`: the status and the date change; the review guards it from now on.
    assert project.run("version", "release", new, "--date", "2027-01-15").code == 0
    project.merged()
    review = project.review(step2).json
    assert review["exit_code"] == 0 and review["breaking"] is False
    assert [c["rule"] for c in _findings(review, new)] == ["version-released"]
    assert f"New clients should use **version {new}** (released 2027-01-15)" in project.page("versions.md")
    assert (project.root / "specs" / "released" / f"v{new}.json").is_file()  # its contract as released
    step = (
        project.page("migration.md").split(f"## Migrate from v{newest.name} to v{new}")[1].split("\n## ")[0]
    )
    assert "Operations removed in version" in step and f"Stay on version {newest.name}" in step
    step3 = project.commit(f"release version {new}")

    # 4. A breaking change in the released version is refused and names the version it needs.
    project.edit_spec(new, _drop_includemetadata)
    review = project.review(step3).json
    assert review["exit_code"] == 1 and review["verdict"] == "violation"
    assert review["violations"] == [
        f"breaking change in released version {new}: publish it as version {int(new) + 1} "
        "(a new spec + registry entry)"
    ]
    project.git("checkout", "-q", "--", "specs")

    # 4b. An addition to the released version passes, and is its dated "what's new", not a migration step.
    project.edit_spec(new, _add_oldestfirst)
    review = project.review(step3).json
    assert review["exit_code"] == 0 and review["breaking"] is False
    project.merged()
    recorded = yaml.safe_load((project.root / "specs" / "whats-new.yaml").read_text(encoding="utf-8"))
    assert {e["rule"] for e in recorded[new]} == {"parameter-added"}
    whats_new, steps = project.page("migration.md").split(f"## Migrate from v{newest.name} to v{new}", 1)
    assert "oldestfirst" in whats_new.split(f"### Version {new}")[1] and "oldestfirst" not in steps
    project.commit(f"version {new}: the change feed can start from the oldest entry")

    # 5. `version deprecate` of the oldest released version not yet deprecated: still served, with its sunset.
    first = next(v for v in released if not v.deprecated).name
    assert project.run("version", "deprecate", first, "--sunset", "2030-06-30").code == 0
    project.merged()
    review = project.review(step3).json
    assert review["exit_code"] == 0
    assert [c["rule"] for c in _findings(review, first)] == ["version-deprecated"]
    step5 = project.commit(f"deprecate version {first}")

    # 6. `version retire` of the oldest version before its sunset: allowed when it is a prerelease; a released
    # one must wait for its sunset, and the review refuses it.
    assert project.run("version", "retire", oldest.name, "--before-sunset").code == 0
    project.merged()
    review = project.review(step5).json
    exemption = "prerelease" if oldest.prerelease else None
    assert review["exit_code"] == (0 if exemption else 1)
    assert [(c["rule"], c["exemption"]) for c in _findings(review, oldest.name)] == [
        ("version-removed", exemption)
    ]
    answers = project.service()
    served = read_registry(project.root / "specs").registry
    supported = ", ".join(v.name for v in served.versions if not v.deprecated)
    assert answers[new][:2] == [204, supported]
    assert answers[first][0] == 204 and answers[first][3] == "Sun, 30 Jun 2030 00:00:00 GMT"
    assert answers[oldest.name][0] == 400  # no longer served
