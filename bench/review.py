"""`make review` on large spec pairs against Redocly CLI's `redocly diff`, both reading the same two files.

Pairs: synthetic documents of 1,000, 2,000 and 4,000 operations (a change of one of eight kinds planted in
every tenth resource, descriptions edited in every third), and two real pairs: GitHub's REST API description
as the npm package @octokit/openapi ships it (api.github.com.json, 11-13 MB, 1,100+ operations), 22.0.0 →
23.0.0 (a new major version; 22.0.0 publishes a `default` outside its `enum`) and 23.0.0 → 23.0.2.
Ours: `python -m generator review BASE HEAD --format json` in a fresh process, as a pull request's CI job
runs it (no cache to warm: every run reads both documents), median of 3; then one run in this process split
into reading both documents and the review's own work. Peer: `redocly diff BASE HEAD --format json` in a fresh
Node process, median of 3. Redocly CLI and the real documents are fetched from npm into .bench/ at run time,
never as project dependencies.
Counts differ by design: Redocly lists every place a change shows (and documentation edits); the review
reports one finding per change, with every operation and part of the call it affects (its occurrences).
"""

from __future__ import annotations

import contextlib
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

from generator.review.report import render
from generator.review.sources import open_source
from generator.review.verdict import review

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench" / "review"
NPM = ROOT / ".bench" / "npm"
PEER = "@redocly/cli@2.77.0"  # the current release when this bench was written; `diff` is experimental there
REAL_PACKAGE = "@octokit/openapi"
REAL_PAIRS = (("22.0.0", "23.0.0"), ("23.0.0", "23.0.2"))
REAL_MEMBER = "package/generated/api.github.com.json"
SIZES = (1000, 2000, 4000)
RUNS = 3


def run() -> list[str]:
    WORK.mkdir(parents=True, exist_ok=True)
    peer, note = _peer_cli()
    lines = [note]
    for operations in SIZES:
        base, head = _synthetic_pair(operations)
        lines.extend(_compare(f"{operations} ops", base, head, peer))
    for old, new in REAL_PAIRS:
        try:
            base, head = _real_pair(old, new)
        except (OSError, RuntimeError, subprocess.SubprocessError, tarfile.TarError) as exc:
            lines.append(f"real pair {old}→{new} skipped: {exc}")
            continue
        label = f"{REAL_PACKAGE} {old}→{new} api.github.com ({_count_operations(head)} ops)"
        lines.extend(_compare(label, base, head, peer))
    return lines


def _compare(label: str, base: Path, head: Path, peer: Path | None) -> list[str]:
    cold, code, found, occurrences, breaking = _ours(base, head)
    if code == 2:
        return [f"review {label}: refused (exit 2) in {cold:.2f} s; redocly diff not compared"]
    loading, judging = _phases(base, head)
    split = f"read both {loading:.2f} s + compare and report {judging:.2f} s (in process)"
    counts = f"ours {found} findings ({breaking} breaking, {occurrences} occurrences)"
    if peer is None:
        return [
            f"review {label}: ours cold {cold:.2f} s ({split}); redocly diff not run",
            f"  found: {counts}",
        ]
    theirs, their_changes, major = _theirs(peer, base, head)
    ratio = theirs / cold
    speed = f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"
    return [
        f"review {label}: ours cold {cold:.2f} s, redocly diff {theirs:.2f} s (ours {speed})",
        f"  ours: fresh process, exit {code}; {split}",
        f"  found: {counts}; redocly {their_changes} changes ({major} major)",
    ]


def _phases(base: Path, head: Path) -> tuple[float, float]:
    """One run in this process split into reading both documents and the review's own work (the collector
    paused, as `run_review` pauses it)."""
    gc.disable()
    with contextlib.ExitStack() as stack:
        stack.callback(gc.enable)
        started = time.perf_counter()
        old = open_source(str(base), WORK, stack, "BASE")
        new = open_source(str(head), WORK, stack, "HEAD")
        loaded = time.perf_counter()
        render(review(old, new, []), "json")
        return loaded - started, time.perf_counter() - loaded


def _ours(base: Path, head: Path) -> tuple[float, int, int, int, int]:
    """Median seconds of a fresh `python -m generator review`, exit code, findings, occurrences, breaking."""
    command = [sys.executable, "-m", "generator", "--root", str(WORK), "review", str(base), str(head)]
    times = []
    done = None
    for _ in range(RUNS):
        started = time.perf_counter()
        done = subprocess.run(
            [*command, "--format", "json"], capture_output=True, text=True, timeout=900, check=False, cwd=ROOT
        )
        times.append(time.perf_counter() - started)
    assert done is not None
    changes = json.loads(done.stdout)["changes"] if done.stdout else []
    occurrences = sum(len(c["operations"]) for c in changes)
    breaking = sum(1 for c in changes if c["breaking"])
    return statistics.median(times), done.returncode, len(changes), occurrences, breaking


def _peer_cli() -> tuple[Path | None, str]:
    """Redocly CLI under .bench/npm, and a line saying what is compared (or why nothing is)."""
    if shutil.which("npm") is None:
        return None, "peer: skipped, npm is not installed (Redocly CLI comes from npm)"
    cli = NPM / "node_modules" / ".bin" / "redocly"
    if not cli.exists():
        command = [
            "npm",
            "install",
            "--prefix",
            str(NPM),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            PEER,
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        except subprocess.TimeoutExpired:
            return None, f"peer: skipped, `npm install {PEER}` timed out (no registry?)"
        if done.returncode != 0 or not cli.exists():
            reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return None, f"peer: skipped, `npm install {PEER}` failed: {reason}"
    manifest = NPM / "node_modules" / "@redocly" / "cli" / "package.json"
    version = json.loads(manifest.read_text()).get("version", "?")
    usage = subprocess.run([str(cli), "--help"], capture_output=True, text=True, timeout=120, check=False)
    if "redocly diff" not in usage.stdout + usage.stderr:
        return None, f"peer: Redocly CLI {version} has no `diff` command; nothing equivalent to compare with"
    return (
        cli,
        f"peer: Redocly CLI {version} `redocly diff BASE HEAD --format json` (experimental), same files",
    )


def _theirs(cli: Path, base: Path, head: Path) -> tuple[float, int, int]:
    report = WORK / "redocly-diff.json"
    command = [
        str(cli),
        "diff",
        str(base),
        str(head),
        "--format",
        "json",
        "-o",
        str(report),
        "--fail-on",
        "none",
    ]
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=WORK)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(f"redocly diff failed: {(done.stderr or done.stdout)[-500:]}")
    data = json.loads(report.read_text())
    return (
        statistics.median(times),
        len(data.get("changes", [])),
        int(data.get("summary", {}).get("major", 0)),
    )


def _real_pair(*versions: str) -> tuple[Path, Path]:
    """api.github.com.json of two @octokit/openapi releases, unpacked from the npm tarballs."""
    if shutil.which("npm") is None:
        raise RuntimeError("npm is not installed")
    packages = WORK / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    files = []
    for version in versions:
        target = packages / f"api.github.com-{version}.json"
        if not target.exists():
            tarball = packages / f"octokit-openapi-{version}.tgz"
            if not tarball.exists():
                command = ["npm", "pack", f"{REAL_PACKAGE}@{version}", "--pack-destination", str(packages)]
                done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
                if done.returncode != 0 or not tarball.exists():
                    reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
                    raise RuntimeError(f"`npm pack {REAL_PACKAGE}@{version}` failed: {reason}")
            with tarfile.open(tarball) as tar:
                member = tar.extractfile(REAL_MEMBER)
                if member is None:
                    raise RuntimeError(f"{tarball.name} has no {REAL_MEMBER}")
                target.write_bytes(member.read())
        files.append(target)
    return files[0], files[1]


def _count_operations(path: Path) -> int:
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    paths = json.loads(path.read_text()).get("paths", {})
    return sum(1 for item in paths.values() for key in item if key in methods)


# Synthetic documents: resources of four operations each, every schema and parameter shared through $ref.


def _synthetic_pair(operations: int) -> tuple[Path, Path]:
    folder = WORK / f"synthetic-{operations}"
    folder.mkdir(parents=True, exist_ok=True)
    base, head = folder / "base.json", folder / "head.json"
    base.write_text(json.dumps(synthetic_spec(operations, revised=False), indent=1))
    head.write_text(json.dumps(synthetic_spec(operations, revised=True), indent=1))
    return base, head


def synthetic_spec(operations: int, revised: bool) -> dict[str, Any]:
    """A valid OpenAPI 3.0.3 document; `revised` plants one change in every tenth resource."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Tag": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}}},
        "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
    }
    for i in range(operations // 4):
        name = f"Resource{i}"
        schema = {
            "type": "object",
            "required": ["id", "state", "name"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string", "maxLength": 64},
                "state": {"type": "string", "enum": ["new", "active", "closed"]},
                "count": {"type": "integer", "minimum": 0},
                "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
                "owner": {"type": "string", "nullable": True},
            },
        }
        listing: dict[str, Any] = {
            "operationId": f"list{name}",
            "summary": f"List {name}",
            "parameters": [
                {"$ref": "#/components/parameters/Limit"},
                {"$ref": "#/components/parameters/Offset"},
            ],
            "responses": {"200": _json({"type": "array", "items": _ref("schemas", name)})},
        }
        own, not_found = _ref("schemas", name), _ref("responses", "NotFound")
        create: dict[str, Any] = {
            "operationId": f"create{name}",
            "requestBody": {"required": True, "content": {"application/json": {"schema": own}}},
            "responses": {"201": _json(own), "400": _json(_ref("schemas", "Error"))},
        }
        item_id = "id"
        if revised:
            if i % 3 == 0:
                listing["summary"] = f"List every {name}"  # documentation only: not reported
            if i % 10 == 0:
                item_id = _plant(i // 10 % 8, schema, listing, create)
        schemas[name] = schema
        item_parameter = {"name": item_id, "in": "path", "required": True, "schema": {"type": "string"}}
        item = {
            "parameters": [item_parameter],
            "get": {"operationId": f"get{name}", "responses": {"200": _json(own), "404": not_found}},
            "delete": {
                "operationId": f"delete{name}",
                "responses": {"204": {"description": "deleted"}, "404": not_found},
            },
        }
        paths[f"/resources{i}"] = {"get": listing, "post": create}
        paths[f"/resources{i}/{{{item_id}}}"] = item
    return {
        "openapi": "3.0.3",
        "info": {"title": "Synthetic", "version": "2" if revised else "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": {
                "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}},
                "Offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
            },
            "responses": {"NotFound": _json({"$ref": "#/components/schemas/Error"}, "not found")},
        },
    }


def _plant(kind: int, schema: dict[str, Any], listing: dict[str, Any], create: dict[str, Any]) -> str:
    """One change of eight kinds, breaking or not; returns the item path parameter's name (7 renames it)."""
    properties = schema["properties"]
    if kind == 0:
        properties["createdAt"] = {"type": "string", "format": "date-time"}
    elif kind == 1:
        properties["state"]["enum"].append("archived")
    elif kind == 2:
        listing["parameters"].pop()
    elif kind == 3:
        listing["parameters"].append({"name": "sort", "in": "query", "schema": {"type": "string"}})
    elif kind == 4:
        properties["name"]["maxLength"] = 32
    elif kind == 5:
        create["responses"]["202"] = {"description": "accepted"}
    elif kind == 6:
        properties["count"]["type"] = "string"
        del properties["count"]["minimum"]
    else:
        return "resourceId"  # a path-parameter rename: not a change
    return "id"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}
