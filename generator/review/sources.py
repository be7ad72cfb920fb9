"""What BASE and HEAD name: a spec file, a specs folder, or a git ref of the project (in that order).

A folder is read through its registry (versions.yaml) when it has one, else every YAML file in it is a version
named by its info.version. Every document is read leniently (generator.review.reader). A git ref is
materialized with `git archive` into a temporary folder that the caller's ExitStack removes.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from generator.diagnostics import Diagnostic, Diagnostics, InputError
from generator.loader import REGISTRY_FILE
from generator.model import ApiSpec
from generator.refs import SpecFiles
from generator.registry import parse_registry
from generator.review.lines import Locator
from generator.review.reader import ReadSpec, read_document

WAIVERS_FILE = "review-waivers.yaml"
Kind = Literal["file", "folder", "ref"]


@dataclass(frozen=True)
class Source:
    label: str  # as the user wrote it
    kind: Kind
    specs: dict[str, ApiSpec]  # version name → spec, oldest first
    folder: Path  # where the waiver file that travels with these specs would be
    locators: dict[str, Locator] = field(default_factory=dict)  # version name → lines of its document
    warnings: tuple[Diagnostic, ...] = ()  # what was read leniently

    @property
    def newest_major(self) -> int:
        return max((s.version.number.major for s in self.specs.values()), default=0)

    def locate(self, version: str, pointer: str) -> tuple[str, int | None]:
        found = self.locators.get(version)
        return found(pointer) if found else ("", None)


def open_source(arg: str, root: Path, stack: ExitStack, role: str) -> Source:
    path = Path(arg)
    if path.is_file():
        read = read_document(path.parent, path.name, arg)
        name = read.spec.version.name
        return Source(arg, "file", {name: read.spec}, path.parent, {name: read.locate}, read.warnings)
    if path.is_dir():
        return _source(arg, "folder", path, arg)
    specs_dir = _materialize(arg, root, stack, role)
    if specs_dir is None:
        message = f"{role} {arg!r} is not a spec file, a folder, or a git ref of {root}"
        raise InputError([Diagnostic(arg, None, "", "review-input", message)])
    return _source(arg, "ref", specs_dir, f"{arg}:specs")


def load_file(path: Path) -> ApiSpec:
    """One OpenAPI 3.0 or 3.1 document, read leniently (InputError only when it cannot be read)."""
    return read_document(path.parent, path.name, str(path)).spec


def _source(arg: str, kind: Kind, folder: Path, label: str) -> Source:
    reads = _read_folder(folder, label)
    specs = {name: read.spec for name, read in reads.items()}
    locators = {name: read.locate for name, read in reads.items()}
    warnings = tuple(w for read in reads.values() for w in read.warnings)
    return Source(arg, kind, specs, folder, locators, warnings)


def _read_folder(folder: Path, label: str) -> dict[str, ReadSpec]:
    if not (folder / REGISTRY_FILE).is_file():
        return _read_unregistered(folder, label)
    diagnostics = Diagnostics()
    registry_doc = SpecFiles(folder, diagnostics).load(REGISTRY_FILE)
    registry = parse_registry(registry_doc, REGISTRY_FILE, folder, diagnostics) if registry_doc else None
    if registry is None or diagnostics.errors:
        raise InputError(_relabel(diagnostics, label))
    reads: dict[str, ReadSpec] = {}
    problems: list[Diagnostic] = []
    for version in registry.versions:
        try:
            reads[version.name] = read_document(folder, version.spec, f"{label}/{version.spec}", version)
        except InputError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems)
    return reads


def _read_unregistered(folder: Path, label: str) -> dict[str, ReadSpec]:
    files = sorted(p for p in [*folder.glob("*.yaml"), *folder.glob("*.yml")] if p.name != WAIVERS_FILE)
    if not files:
        raise InputError(
            [
                Diagnostic(
                    label, None, "", "review-input", "the folder has no versions.yaml and no *.yaml spec"
                )
            ]
        )
    reads: dict[str, ReadSpec] = {}
    problems: list[Diagnostic] = []
    for path in files:
        try:
            read = read_document(folder, path.name, f"{label}/{path.name}")
        except InputError as exc:
            problems.extend(exc.diagnostics)
            continue
        name = read.spec.version.name
        if name in reads:
            problems.append(
                Diagnostic(
                    f"{label}/{path.name}",
                    None,
                    "/info/version",
                    "review-input",
                    f"version {name} is also {reads[name].spec.file}",
                )
            )
        reads[name] = read
    if problems:
        raise InputError(problems)
    return dict(sorted(reads.items(), key=lambda item: item[1].spec.version.number.sort_key))


def _relabel(diagnostics: Iterable[Diagnostic], folder: str | Path) -> list[Diagnostic]:
    """Diagnostics name files relative to the folder read; users need the name they gave."""
    return [replace(d, file=str(Path(folder) / d.file)) for d in diagnostics]


def _materialize(ref: str, root: Path, stack: ExitStack, role: str) -> Path | None:
    """specs/ at a git ref, written to a temporary folder; None when `ref` names no commit."""
    if ref.startswith("-"):
        return None  # never let an argument become a git option
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        return None
    archive = _git(root, "archive", "--format=tar", ref, "--", "specs")
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip().splitlines()
        detail = message[-1] if message else "git archive failed"
        raise InputError(
            [Diagnostic(f"{ref}:specs", None, "", "review-input", f"{role}: no specs/ at {ref} ({detail})")]
        )
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="review-ref-")))
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tmp, filter="data")
    return tmp / "specs"


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(["git", *args], 1, b"", str(exc).encode())
