"""Reads specs/versions.yaml as editable entries and writes it back in its one canonical layout.

The lifecycle commands change the registry through this module only. The header comment (everything before
`docs_url:`) is kept as written; the entries are written field by field in a fixed order, values quoted only
where YAML would otherwise read them as something other than a string (`"1"`, `"2023-06-30"`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Diagnostic, Diagnostics, InputError
from generator.loader import REGISTRY_FILE
from generator.registry import FIELDS, Registry, parse_registry
from generator.yamlsafe import YamlProblem, load_yaml


@dataclass
class RegistryFile:
    header: str  # the comment block above `docs_url:`, kept as written
    docs_url: str
    policy: str
    entries: list[dict[str, Any]]  # one mapping per version, as the file holds it, oldest first
    registry: Registry  # the checked registry the entries describe

    def render(self) -> str:
        lines = [f"docs_url: {_scalar(self.docs_url)}", f"policy: {_scalar(self.policy)}", "versions:"]
        for entry in self.entries:
            fields = [key for key in FIELDS if entry.get(key) is not None]
            for i, key in enumerate(fields):
                lines.append(f"{'  - ' if i == 0 else '    '}{key}: {_value(entry[key])}")
        return self.header + "\n".join(lines) + "\n"

    def index_of(self, name: str) -> int:
        return next(i for i, entry in enumerate(self.entries) if str(entry.get("name")) == name)


def read_registry(specs_dir: Path) -> RegistryFile:
    """The registry of specs_dir, checked; InputError (file, line, pointer) when it is not usable."""
    path = specs_dir / REGISTRY_FILE
    if not path.is_file():
        raise InputError(
            [Diagnostic(str(path), None, "", "registry-missing", "no version registry in this folder")]
        )
    text = path.read_text(encoding="utf-8")
    diagnostics = Diagnostics()
    try:
        document = load_yaml(text)
    except YamlProblem as problem:
        raise InputError(
            [Diagnostic(REGISTRY_FILE, problem.line, problem.pointer, problem.code, problem.message)]
        ) from None
    registry = parse_registry(document, REGISTRY_FILE, specs_dir, diagnostics)
    diagnostics.raise_if_errors()
    assert registry is not None
    data = document.data
    header_end = next(
        (i for i, line in enumerate(text.splitlines(keepends=True)) if line.startswith("docs_url:")), 0
    )
    header = "".join(text.splitlines(keepends=True)[:header_end])
    entries = [dict(entry) for entry in data["versions"]]
    return RegistryFile(header, str(data["docs_url"]), str(data["policy"]), entries, registry)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(str(item)) for item in value) + "]"
    return _scalar(str(value))


def _scalar(text: str) -> str:
    """Plain when YAML reads it back as this very string, else a double-quoted (JSON) string."""
    plain_safe = (
        text
        and text.strip() == text
        and text[0] not in "-?:#&*!|>'\"%@`"
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
        and not any(c in text for c in ",[]{}")  # list items are written in flow style
    )
    if plain_safe:
        try:
            if yaml.safe_load(text) == text:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text)
