"""Model → the generated service package: stubs, route table, contracts, served specs, example files."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment

from dicom_service.web.binding import HANDLERS_DIR
from generator.diagnostics import Diagnostic, InputError
from generator.model import ApiModel, ApiSpec, Endpoint, Example, MediaType, Operation, Response, snake_case
from generator.render import GENERATED_MARK
from generator.render.body_schemas import body_schema, is_json

PACKAGE = "dicom_service"
GENERATED_DIR = f"{PACKAGE}/generated"
VERSIONING_HEADERS = {"api-supported-versions", "api-deprecated-versions"}


@dataclass(frozen=True)
class VersionView:
    name: str
    deprecated: bool


@dataclass(frozen=True)
class StubView:
    function: str
    operation_id: str
    method: str
    path: str
    summary: str
    handler: str
    versions: tuple[VersionView, ...]


@dataclass(frozen=True)
class HandlerView:
    name: str
    operation_id: str
    summary: str
    method: str
    paths: tuple[str, ...]


def route_order(endpoint: Endpoint) -> tuple[list[tuple[int, str]], str]:
    """Literal segments first: `/studies/$bulkUpdate` must be tried before `/studies/{studyInstanceUid}`."""
    return [(1 if seg.startswith("{") else 0, seg) for seg in endpoint.path.split("/")], endpoint.method


def stubs(model: ApiModel) -> list[StubView]:
    deprecated = {v.name: v.deprecated for v in model.registry.versions}
    views: list[StubView] = []
    owners: dict[str, str] = {}
    for endpoint in sorted(model.endpoints, key=route_order):
        latest = endpoint.latest
        function = snake_case(latest.operation_id)
        if function in owners:
            raise InputError(
                [
                    Diagnostic(
                        model.spec(latest.version).file,
                        None,
                        latest.pointer,
                        "operation-id-reused",
                        f"operationId {latest.operation_id!r} names both {owners[function]} and "
                        f"{latest.method.upper()} {latest.path} across versions",
                    )
                ]
            )
        owners[function] = f"{latest.method.upper()} {latest.path}"
        views.append(
            StubView(
                function=function,
                operation_id=latest.operation_id,
                method=latest.method.upper(),
                path=latest.path,
                summary=latest.summary,
                handler=latest.handler,
                versions=tuple(VersionView(name, deprecated[name]) for name in endpoint.versions),
            )
        )
    return views


def handlers(model: ApiModel) -> list[HandlerView]:
    grouped: dict[str, list[Endpoint]] = {}
    for endpoint in model.endpoints:
        grouped.setdefault(endpoint.latest.handler, []).append(endpoint)
    views = []
    for name, endpoints in sorted(grouped.items()):
        base = min(endpoints, key=lambda e: (e.latest.partitioned, e.path)).latest
        views.append(
            HandlerView(
                name=name,
                operation_id=base.base_operation_id,
                summary=base.summary,
                method=base.method.upper(),
                paths=tuple(e.path for e in sorted(endpoints, key=lambda e: (e.latest.partitioned, e.path))),
            )
        )
    return views


def render_service(
    model: ApiModel, env: Environment, root: Path
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(the generated folder's files, the handler modules to create when missing)."""
    stub_views = stubs(model)
    handler_views = handlers(model)
    versions = [
        {
            "name": v.name,
            "segments": v.url_segments,
            "prerelease": v.prerelease,
            "deprecated": v.deprecated,
            "deprecation": _date(v.deprecation),
            "sunset": _date(v.sunset),
        }
        for v in model.registry.versions
    ]
    python = {
        "__init__.py": f'# {GENERATED_MARK}\n"""Code and data generated from the specs."""\n',
        "manifest.py": env.get_template("service/manifest.py.j2").render(
            policy_url=model.registry.policy_url,
            versions=versions,
            uses_dates=bool(model.registry.retired)
            or any(v.deprecation or v.sunset for v in model.registry.versions),
            retired=[
                {"name": v.name, "segments": v.url_segments, "retired": _date(v.retired)}
                for v in model.registry.retired
            ],
            recommended=model.registry.recommended.name,
            handlers=[h.name for h in handler_views],
        ),
        "operations.py": env.get_template("service/operations.py.j2").render(
            stubs=stub_views, handlers=[h.name for h in handler_views]
        ),
    }
    files = {path: data.encode() for path, data in format_python(python, root).items()}
    files["contracts.json"] = contracts_json(contracts(model))
    for spec in model.specs.values():
        files[f"specs/{spec.version.slug}.json"] = served_json(spec)
        files[f"specs/{spec.version.slug}.yaml"] = served_yaml(spec)
    for path, data in model.example_files.items():
        files[path] = data
    template = env.get_template("service/handler.py.j2")
    scaffolds = {name: template.render(handler=view) for view in handler_views for name in [view.name]}
    once = {
        f"{HANDLERS_DIR}/{name}.py": data.encode()
        for name, data in format_python(scaffolds, root, ".py").items()
    }
    return files, once


def _date(value: Any) -> str:
    return f"dt.date({value.year}, {value.month}, {value.day})" if value else "None"


def contracts_json(by_version: dict[str, dict[str, Any]]) -> bytes:
    """JSON with one line per operation, so a changed contract shows up as a one-line diff."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["{", f' "generated": {dump(GENERATED_MARK)},', ' "versions": {']
    for v, (version, operations) in enumerate(by_version.items()):
        lines.append(f"  {dump(version)}: {{")
        for i, (operation_id, contract) in enumerate(operations.items()):
            comma = "," if i < len(operations) - 1 else ""
            lines.append(f"   {dump(operation_id)}: {dump(contract)}{comma}")
        lines.append("  }" + ("," if v < len(by_version) - 1 else ""))
    lines += [" }", "}", ""]
    return "\n".join(lines).encode()


def served_json(spec: ApiSpec) -> bytes:
    return (json.dumps(spec.document, ensure_ascii=False) + "\n").encode()


def served_yaml(spec: ApiSpec) -> bytes:
    """The document as reviewed: the source text itself when it needed no bundling, else the bundle dumped."""
    header = f"# {GENERATED_MARK} Served copy of specs/{spec.file}.\n"
    if spec.source_text is not None:
        return (header + spec.source_text).encode()
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(spec.document, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120)
    return (header + text).encode()


def format_python(sources: dict[str, str], root: Path, suffix: str = "") -> dict[str, str]:
    """Run ruff's formatter over rendered modules, so generated code is formatted exactly as the project's.

    Formatting is a pure function of the text, ruff's version and the project's configuration, so results
    are kept in build/cache/format and ruff runs only for text it has not formatted before.
    """
    config = (root / "pyproject.toml").read_bytes()
    salt = hashlib.sha256(metadata.version("ruff").encode() + config).hexdigest()
    cache = root / "build" / "cache" / "format"
    keys = {
        name: hashlib.sha256(f"{salt}{suffix}{text}".encode()).hexdigest() for name, text in sources.items()
    }
    result = {
        name: (cache / key).read_text(encoding="utf-8")
        for name, key in keys.items()
        if (cache / key).is_file()
    }
    missing = {name: text for name, text in sources.items() if name not in result}
    if missing:
        formatted = _ruff_format(missing, root, suffix)
        cache.mkdir(parents=True, exist_ok=True)
        for name, text in formatted.items():
            (cache / keys[name]).write_text(text, encoding="utf-8")
        result.update(formatted)
    return result


def _ruff_format(sources: dict[str, str], root: Path, suffix: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory(dir=root, prefix=".format-") as scratch:
        folder = Path(scratch)
        for name, text in sources.items():
            (folder / (name + suffix)).write_text(text, encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--quiet",
            "--config",
            str(root / "pyproject.toml"),
            scratch,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"ruff could not format the generated code:\n{result.stderr}")
        return {name: (folder / (name + suffix)).read_text(encoding="utf-8") for name in sources}


def contracts(model: ApiModel) -> dict[str, dict[str, Any]]:
    """version → operationId (of the stub) → what the runtime checks and how the mock answers."""
    result: dict[str, dict[str, Any]] = {}
    for endpoint in model.endpoints:
        for version, op in endpoint.operations.items():
            spec = model.spec(version)
            components = spec.document.get("components", {}).get("schemas", {})
            contract = _contract(op, components)
            if op.extensions.get("x-dicom-query"):
                contract["query_defaults"] = query_defaults(spec.dicom)
            result.setdefault(version, {})[endpoint.latest.operation_id] = contract
    return {v.name: dict(sorted(result.get(v.name, {}).items())) for v in model.registry.versions}


def query_defaults(dicom: dict[str, Any]) -> dict[str, list[str]]:
    """Per query level, the tags a search returns without `includefield` (x-dicom queryLevels)."""
    levels = dicom.get("queryLevels") or {}
    return {
        str(level): [str(a["tag"]) for a in (entry or {}).get("default") or []]
        for level, entry in levels.items()
    }


def _contract(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    answer = op.success or next((r for r in op.responses if r.status not in ("400", "default")), None)
    return {
        "operation_id": op.operation_id,
        "handler": op.handler,
        "parameters": [
            {"name": p.name, "in": p.location, "required": p.required, "schema": p.schema}
            | (
                {"attribute": True} if p.dicom_attribute else {}
            )  # a DICOM attribute filter, not a control key
            for p in op.parameters
            if p.location in ("path", "query", "header")
        ],
        "body": {
            "required": op.request_body.required,
            "media_types": [m.name for m in op.request_body.content],
            "schemas": {
                m.name: body_schema(m.schema, components)
                for m in op.request_body.content
                if m.schema is not None and is_json(m.name)
            },
        }
        if op.request_body
        else None,
        "offers": [
            {
                "key": m.name,
                "transfer_syntaxes": m.transfer_syntaxes,
                "default_transfer_syntax": m.extensions.get("x-default-transfer-syntax"),
            }
            for m in (answer.content if answer else ())
        ],
        "accept_required": bool(op.extensions.get("x-accept-required", False)),
        "action": op.extensions.get("x-data-action"),
        "mock": _mock(op, answer) if answer else None,
    }


def _mock(op: Operation, answer: Response) -> dict[str, Any] | None:
    bodies = {m.name: body for m in answer.content if (body := _example_body(m)) is not None}
    if answer.content and not bodies:
        return None
    return {
        "status": int(answer.status) if answer.status.isdigit() else 200,
        "headers": {
            h.name: str(h.example)
            for h in answer.headers
            if h.required and h.example is not None and h.name.lower() not in VERSIONING_HEADERS
        },
        "bodies": bodies,
        "not_modified": op.response("304") is not None,
    }


def _example_body(media: MediaType) -> dict[str, Any] | None:
    example: Example | None = next(iter(media.examples), None)
    if example is None:
        return None
    if example.external is not None:
        part = media.parameters.get("type") if media.essence.startswith("multipart/") else None
        return {"file": example.external, "part_type": part}
    if media.essence.startswith("text/"):
        return {"text": str(example.value)}
    return {"json": example.value}
