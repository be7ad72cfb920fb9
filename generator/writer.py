"""Writes a generation run to disk all at once, or reports how the disk differs from it.

Everything is rendered in memory first, so a failing render leaves the disk untouched. Generated folders
are then replaced whole (written beside the target, then swapped in with renames), generated single files
with an atomic rename, and files that people own afterwards (handler modules) are created only when missing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Output:
    trees: dict[str, dict[str, bytes]] = field(default_factory=dict)  # owned folder → {path inside: content}
    files: dict[str, bytes] = field(default_factory=dict)  # owned single file → content
    once: dict[str, bytes] = field(default_factory=dict)  # created if missing, never overwritten

    def all_owned(self) -> dict[str, bytes]:
        owned = dict(self.files)
        for tree, contents in self.trees.items():
            owned.update({f"{tree}/{path}": data for path, data in contents.items()})
        return owned


def stale(root: Path, output: Output) -> list[str]:
    """How the disk differs from the output: one line per file that is missing, different or left over."""
    problems = []
    for path, data in sorted(output.all_owned().items()):
        target = root / path
        if not target.is_file():
            problems.append(f"missing: {path}")
        elif target.read_bytes() != data:
            problems.append(f"out of date: {path}")
    for tree, contents in sorted(output.trees.items()):
        folder = root / tree
        if folder.is_dir():
            for found in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                inside = found.relative_to(folder).as_posix()
                if inside not in contents:
                    problems.append(f"not generated any more: {tree}/{inside}")
    for path in sorted(output.once):
        if not (root / path).exists():
            problems.append(f"missing: {path} (created once by `make generate`)")
    return problems


def write(root: Path, output: Output) -> list[str]:
    """Write the output; returns the one-time files it created."""
    for tree, contents in sorted(output.trees.items()):
        _swap_tree(root / tree, contents)
    for path, data in sorted(output.files.items()):
        _replace_file(root / path, data)
    created = []
    for path, data in sorted(output.once.items()):
        target = root / path
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as handle:  # "x": never overwrite a file someone owns
                handle.write(data)
            created.append(path)
    return created


def _swap_tree(target: Path, contents: dict[str, bytes]) -> None:
    if target.is_dir() and _same(target, contents):
        return  # leave the folder (and its mtimes) alone when nothing changed
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        for path, data in contents.items():
            file = staging / path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(data)
        retired = target.with_name(f".{target.name}.old")
        if retired.exists():
            shutil.rmtree(retired)
        if target.exists():
            os.replace(target, retired)
        os.replace(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _same(folder: Path, contents: dict[str, bytes]) -> bool:
    files = {
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    return files.keys() == contents.keys() and all(files[k].read_bytes() == v for k, v in contents.items())


def _replace_file(target: Path, data: bytes) -> None:
    if target.is_file() and target.read_bytes() == data:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.replace(temporary, target)
