"""Remembers documents that passed the slow checks (OpenAPI schema, examples), keyed by their content.

A result depends only on the bundled document, the validators' versions and the project's rules, so all of
them are in the key; any change to one of them validates again. Only passes are remembered.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

# The checks a remembered pass skips: a change to either validates again.
_RULES = tuple(Path(__file__).with_name(name) for name in ("openapi_rules.py", "example_rules.py"))
_TOOLS = ("openapi-spec-validator", "openapi-schema-validator", "jsonschema")


class ValidationCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        salt = [version(tool) for tool in _TOOLS] + [
            hashlib.sha256(rules.read_bytes()).hexdigest() for rules in _RULES
        ]
        self.salt = "|".join(salt)

    @classmethod
    def of_project(cls, root: Path) -> ValidationCache:
        """The project's cache, shared by `generate`, `lint`, the version commands and the tests."""
        return cls(root / "build" / "cache" / "validated")

    def key(self, document: Any, strict: bool) -> str:
        text = json.dumps(document, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(f"{self.salt}|{strict}|{text}".encode()).hexdigest()

    def passed(self, key: str) -> bool:
        return (self.folder / key).is_file()

    def remember(self, key: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / key).touch()
