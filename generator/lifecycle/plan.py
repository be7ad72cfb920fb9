"""A lifecycle command's changes to specs/, checked as a whole before any of them reaches the disk.

A command builds a Plan (files to write, files to remove, what it did, what to do next). `apply` first loads
a copy of specs/ with the plan applied, with every rule `make lint-specs` applies; only a project that passes
is written. So a command writes all its output or none.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.loader import load_api
from generator.model import ApiModel
from generator.validation_cache import ValidationCache

SPECS = "specs"


@dataclass
class Plan:
    writes: dict[str, str] = field(default_factory=dict)  # path from the project root → new text
    removes: list[str] = field(default_factory=list)  # paths from the project root
    done: list[str] = field(default_factory=list)  # what the command changed, one line each
    next_steps: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = [*self.done, "", "Next:"]
        lines += [f"  {i}. {step}" for i, step in enumerate(self.next_steps, 1)]
        return "\n".join(lines) + "\n"


def check(root: Path, plan: Plan) -> ApiModel:
    """Load specs/ as the plan leaves it (raises InputError with every problem); the disk is untouched."""
    with tempfile.TemporaryDirectory(prefix="version-") as tmp:
        copy = Path(tmp) / SPECS
        shutil.copytree(root / SPECS, copy)
        for path, text in plan.writes.items():
            if path.startswith(SPECS + "/"):
                (Path(tmp) / path).write_text(text, encoding="utf-8")
        for path in plan.removes:
            if path.startswith(SPECS + "/"):
                (Path(tmp) / path).unlink()
        return load_api(copy, cache=ValidationCache.of_project(root)).model


def apply(root: Path, plan: Plan) -> ApiModel:
    """Check the plan, then write it; the model of the project as it now is."""
    model = check(root, plan)
    for path, text in plan.writes.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)  # site/archive/ on the first retirement
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    for path in plan.removes:
        (root / path).unlink()
    return model
