"""What BASE and HEAD name: a spec file, a specs folder, or a git ref of the project (in that order).

A folder is read through its registry (versions.yaml) when it has one, else every YAML file in it is a version
named by its info.version. A git ref is materialized with `git archive` into a temporary folder that the
caller's ExitStack removes.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from generator.diagnostics import Diagnostic, InputError
from generator.loader import REGISTRY_FILE, load_api, load_document
from generator.model import ApiSpec
from generator.validation_cache import ValidationCache

WAIVERS_FILE = "review-waivers.yaml"
Kind = Literal["file", "folder", "ref"]


@dataclass(frozen=True)
class Source:
    label: str  # as the user wrote it
    kind: Kind
    specs: dict[str, ApiSpec]  # version name → spec, oldest first
    folder: Path  # where the waiver file that travels with these specs would be

    @property
    def newest_major(self) -> int:
        return max((s.version.number.major for s in self.specs.values()), default=0)


def open_source(arg: str, root: Path, stack: ExitStack, role: str) -> Source:
    # Documents that passed the OpenAPI check before (`make lint-specs`, a review) are not checked again.
    cache = ValidationCache(root / "build" / "cache" / "validated")
    path = Path(arg)
    if path.is_file():
        spec = load_file(path, cache)
        return Source(arg, "file", {spec.version.name: spec}, path.parent)
    if path.is_dir():
        return Source(arg, "folder", load_folder(path, arg, cache), path)
    specs_dir = _materialize(arg, root, stack, role)
    if specs_dir is None:
        message = f"{role} {arg!r} is not a spec file, a folder, or a git ref of {root}"
        raise InputError([Diagnostic(arg, None, "", "review-input", message)])
    return Source(arg, "ref", load_folder(specs_dir, f"{arg}:specs", cache), specs_dir)


def load_file(path: Path, cache: ValidationCache | None = None) -> ApiSpec:
    """One OpenAPI document, validated as OpenAPI 3.0: reviewing an invalid spec means nothing."""
    try:
        spec, _ = load_document(path, cache)
    except InputError as exc:
        raise InputError(_relabel(exc.diagnostics, path.parent)) from None
    return spec


def load_folder(folder: Path, label: str, cache: ValidationCache | None = None) -> dict[str, ApiSpec]:
    if not (folder / REGISTRY_FILE).is_file():
        return _load_unregistered(folder, label, cache)
    try:
        model = load_api(folder, strict=False, cache=cache).model
    except InputError as exc:
        raise InputError(_relabel(exc.diagnostics, label)) from None
    return dict(model.specs)


def _load_unregistered(folder: Path, label: str, cache: ValidationCache | None) -> dict[str, ApiSpec]:
    files = sorted(p for p in [*folder.glob("*.yaml"), *folder.glob("*.yml")] if p.name != WAIVERS_FILE)
    if not files:
        raise InputError(
            [
                Diagnostic(
                    label, None, "", "review-input", "the folder has no versions.yaml and no *.yaml spec"
                )
            ]
        )
    specs: dict[str, ApiSpec] = {}
    problems: list[Diagnostic] = []
    for path in files:
        try:
            spec = load_file(path, cache)
        except InputError as exc:
            problems.extend(exc.diagnostics)
            continue
        name = spec.version.name
        if name in specs:
            problems.append(
                Diagnostic(
                    str(path),
                    None,
                    "/info/version",
                    "review-input",
                    f"version {name} is also {specs[name].file}",
                )
            )
        specs[name] = spec
    if problems:
        raise InputError(problems)
    return dict(sorted(specs.items(), key=lambda item: item[1].version.number.sort_key))


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
