"""Running the review as a user does (the CLI), and writing the small specs the tests compare."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.cli import main

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def review(*args: str | Path, root: Path = REPO) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--root", str(root), "review", *map(str, args)])
    return Run(code, out.getvalue(), err.getvalue())


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(json.loads(json.dumps(data)), sort_keys=False))
    return path


def spec(
    version: str = "1", *, status: list[str] | None = None, extra_property: bool = False
) -> dict[str, Any]:
    """A one-operation API; `status` is the enum of the returned state, `extra_property` adds one."""
    properties: dict[str, Any] = {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": status or ["running", "completed"]},
    }
    if extra_property:
        properties["createdAt"] = {"type": "string", "format": "date-time"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Test", "version": version},
        "paths": {
            "/operations/{id}": {
                "get": {
                    "operationId": "getOperation",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/OperationStatus"},
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "OperationStatus": {"type": "object", "required": ["id", "status"], "properties": properties}
            }
        },
    }


BREAKING = {"status": ["running", "completed", "succeeded"]}  # a new response enum value breaks clients
STATUS_ENUM = "/components/schemas/OperationStatus/properties/status/enum"


def registry(*versions: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "docs_url": "https://docs.example.test/",
        "policy": "versioning-policy.html",
        "versions": [
            {
                "name": name,
                "segment": "v" + name,
                "status": "prerelease" if "-" in name else "released",
                "spec": f"v{name}.yaml",
                **extra,
            }
            for name, extra in versions
        ],
    }


def specs_folder(
    folder: Path, versions: dict[str, dict[str, Any]], extra: dict[str, dict[str, Any]] | None = None
) -> Path:
    """A specs folder: a registry naming each version, and one spec file per version."""
    extra = extra or {}
    write_yaml(folder / "versions.yaml", registry(*((name, extra.get(name, {})) for name in versions)))
    for name, document in versions.items():
        write_yaml(folder / f"v{name}.yaml", document)
    return folder
