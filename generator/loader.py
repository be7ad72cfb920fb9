"""Reads the registry and the specs, checks them, and builds the model of the whole API.

`load_api` is strict (the project's own specs: every rule applies). `load_document` reads any single OpenAPI
file leniently, for the review of documents that were never written under this project's conventions.
"""

from __future__ import annotations

import gc
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dicom_service.versioning.apiversion import ApiVersion
from generator.behaviour import check_behaviour_changes, read_behaviour_changes
from generator.diagnostics import Diagnostic, Diagnostics, InputError, join_pointer
from generator.example_rules import ExampleChecker
from generator.model import (
    ApiModel,
    ApiSpec,
    Endpoint,
    Example,
    Header,
    MediaType,
    Operation,
    Parameter,
    RequestBody,
    Response,
    Tag,
)
from generator.openapi_rules import check_openapi
from generator.refs import Bundle, Resolver, SpecFiles, bundle, check_internal_refs
from generator.registry import Registry, Version, parse_registry
from generator.rules import check_project_rules, iter_operations, reporter
from generator.validation_cache import ValidationCache

REGISTRY_FILE = "versions.yaml"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a spec becomes a tree of plain data.

    The tree has no cycles, yet each collection rescans all of it, which made loading grow faster than
    the document (measured: 4,000 operations took 1.8x the time per operation of 1,000 with it on).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Loaded:
    model: ApiModel
    warnings: list[Any]


def load_api(specs_dir: Path, strict: bool = True, cache: ValidationCache | None = None) -> Loaded:
    """The model of every registered version; raises InputError carrying every problem found.

    With a cache, documents that passed the slow OpenAPI and example checks before are not checked again.
    """
    with paused_gc():
        return _load_api(specs_dir, strict, cache)


def _load_api(specs_dir: Path, strict: bool, cache: ValidationCache | None) -> Loaded:
    diagnostics = Diagnostics()
    files = SpecFiles(specs_dir, diagnostics)
    if not specs_dir.is_dir():
        raise InputError([_missing(specs_dir)])
    registry_doc = files.load(REGISTRY_FILE)
    registry = parse_registry(registry_doc, REGISTRY_FILE, specs_dir, diagnostics) if registry_doc else None
    if registry is None:
        diagnostics.raise_if_errors()
        raise InputError(list(diagnostics))
    registered = {v.spec for v in registry.versions}
    for path in sorted([*specs_dir.glob("*.yaml"), *specs_dir.glob("*.yml")]):
        if path.name in registered or path.name == REGISTRY_FILE:
            continue
        other = files.load(path.name)
        if other is not None and isinstance(other.data, dict) and "openapi" in other.data:
            diagnostics.add(
                path.name,
                "",
                "registry-spec-unregistered",
                f"{path.name} is an OpenAPI document {REGISTRY_FILE} does not list; register its version",
            )
    specs: dict[str, ApiSpec] = {}
    for version in registry.versions:
        spec = _load_version(files, version, diagnostics, strict, cache)
        if spec is not None:
            specs[version.name] = spec
    diagnostics.raise_if_errors()
    example_files = {
        rel: files.locate(rel).read_bytes()
        for rel in sorted({e.external for s in specs.values() for e in _all_examples(s) if e.external})
    }
    model = ApiModel(registry, specs, _endpoints(registry, specs), example_files)
    return Loaded(model, [d for d in diagnostics if d.severity != "error"])


def _missing(specs_dir: Path) -> Diagnostic:
    return Diagnostic(str(specs_dir), None, "", "specs-missing", "the specs folder does not exist")


def _load_version(
    files: SpecFiles, version: Version, diagnostics: Diagnostics, strict: bool, cache: ValidationCache | None
) -> ApiSpec | None:
    before = len(diagnostics.errors)
    result = bundle(files, version.spec)
    if result is None:
        return None
    check_internal_refs(result, diagnostics)
    if len(diagnostics.errors) > before:
        return None  # the validators below would only repeat broken references
    report = reporter(result, diagnostics)
    key = cache.key(result.document, strict) if cache else None
    known_good = cache is not None and key is not None and cache.passed(key)
    if not known_good:
        check_openapi(result, report)
    # The project's rules assume a structurally valid document, so they wait for one.
    if strict and len(diagnostics.errors) == before:
        check_project_rules(result, version, report)
        check_behaviour_changes(result.document, report)
        if not known_good:
            ExampleChecker(result, report).check()
    if len(diagnostics.errors) > before:
        return None
    if cache is not None and key is not None and not known_good:
        cache.remember(key)
    return build_spec(result, version)


def load_document(path: Path, cache: ValidationCache | None = None) -> tuple[ApiSpec, Diagnostics]:
    """Any single OpenAPI 3.0 document, references confined to its folder; its version is info.version.

    The document is validated as OpenAPI 3.0 (unless the cache knows it passed); the project's own rules
    (registry, examples) do not apply.
    """
    with paused_gc():
        return _load_document(path, cache)


def _load_document(path: Path, cache: ValidationCache | None) -> tuple[ApiSpec, Diagnostics]:
    diagnostics = Diagnostics()
    files = SpecFiles(path.parent, diagnostics)
    result = bundle(files, path.name)
    if result is None:
        raise InputError(list(diagnostics))
    check_internal_refs(result, diagnostics)
    diagnostics.raise_if_errors()
    document = result.document
    if not isinstance(document, dict) or not isinstance(document.get("paths", {}), dict):
        raise InputError([*diagnostics, _shape_problem(path.name)])
    key = cache.key(document, strict=False) if cache else None
    if not (cache and key and cache.passed(key)):
        check_openapi(result, reporter(result, diagnostics))
        diagnostics.raise_if_errors()
        if cache and key:
            cache.remember(key)
    name = str((document.get("info") or {}).get("version", "")) or "0"
    version = unregistered_version(name, path.name)
    return build_spec(result, version), diagnostics


def lenient_version(name: str) -> ApiVersion:
    """A version number from any info.version: `2`, `1.0-prerelease`, `2.0.0-beta.1`, `2024-01-01`."""
    strict = ApiVersion.parse(name)
    if strict is not None:
        return strict
    core, _, label = name.partition("-")
    numbers = [int(n) for n in re.findall(r"\d+", core)[:2]] or [0]
    return ApiVersion(numbers[0], numbers[1] if len(numbers) > 1 else 0, label.lower() or None)


def _shape_problem(file: str) -> Diagnostic:
    return Diagnostic(file, 1, "", "openapi", "not an OpenAPI document (a mapping with `paths`)")


def build_spec(result: Bundle, version: Version) -> ApiSpec:
    document = result.document
    resolver = Resolver(document)
    info = document.get("info") or {}
    tags = tuple(
        Tag(t.get("name", ""), t.get("description", ""), t.get("x-dicom-service", ""))
        for t in document.get("tags") or []
        if isinstance(t, dict)
    )
    operations = []
    for path, method, pointer, operation in iter_operations(document):
        item = document["paths"][path]
        operations.append(_operation(resolver, version.name, path, method, pointer, item, operation))
    return ApiSpec(
        version=version,
        file=result.file,
        document=document,
        title=str(info.get("title", "")),
        description=str(info.get("description", "")),
        tags=tags,
        operations=tuple(operations),
        dicom=resolver.inline(document.get("x-dicom") or {}),
        source_text=None if result.origins else result.files.text(result.file),
        behaviour_changes=read_behaviour_changes(document),
    )


def merged_parameters(
    resolver: Resolver, item: dict[str, Any], operation: dict[str, Any]
) -> list[dict[str, Any]]:
    """Path-level parameters overridden by operation-level ones with the same name and location."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        parameter = resolver.deref(raw)
        if isinstance(parameter, dict):
            merged[(str(parameter.get("name")), str(parameter.get("in")))] = parameter
    return list(merged.values())


def _operation(
    resolver: Resolver,
    version: str,
    path: str,
    method: str,
    pointer: str,
    item: dict[str, Any],
    raw: dict[str, Any],
) -> Operation:
    parameters = merged_parameters(resolver, item, raw)
    contract = resolver.inline({**raw, "parameters": parameters})
    body = resolver.deref(raw.get("requestBody")) if raw.get("requestBody") is not None else None
    return Operation(
        version=version,
        operation_id=str(raw.get("operationId", "")),
        method=method,
        path=path,
        summary=str(raw.get("summary", "")),
        description=str(raw.get("description", "")),
        tag=str((raw.get("tags") or [""])[0]),
        parameters=tuple(_parameter(resolver, p) for p in parameters),
        request_body=RequestBody(
            required=bool(body.get("required", False)),
            description=str(body.get("description", "")),
            content=_content(resolver, body.get("content") or {}),
        )
        if isinstance(body, dict)
        else None,
        responses=tuple(
            _response(resolver, str(status), resolver.deref(r))
            for status, r in (raw.get("responses") or {}).items()
        ),
        extensions={k: resolver.inline(v) for k, v in raw.items() if k.startswith("x-")},
        deprecated=bool(raw.get("deprecated", False)),
        pointer=pointer,
        contract=contract,
    )


def _parameter(resolver: Resolver, raw: dict[str, Any]) -> Parameter:
    return Parameter(
        name=str(raw.get("name", "")),
        location=str(raw.get("in", "")),
        required=bool(raw.get("required", False)),
        description=str(raw.get("description", "")),
        schema=resolver.inline(raw.get("schema") or {}),
        example=raw.get("example"),
        extensions={k: v for k, v in raw.items() if k.startswith("x-")},
    )


def _response(resolver: Resolver, status: str, raw: dict[str, Any]) -> Response:
    headers = tuple(
        Header(
            name=name,
            description=str(h.get("description", "")),
            required=bool(h.get("required", False)),
            schema=resolver.inline(h.get("schema") or {}),
            example=h.get("example"),
        )
        for name, h in ((n, resolver.deref(h)) for n, h in (raw.get("headers") or {}).items())
    )
    return Response(
        status=status,
        description=str(raw.get("description", "")),
        headers=headers,
        content=_content(resolver, raw.get("content") or {}),
        extensions={k: v for k, v in raw.items() if k.startswith("x-")},
    )


def _content(resolver: Resolver, content: dict[str, Any]) -> tuple[MediaType, ...]:
    media_types = []
    for name, raw in content.items():
        examples = []
        if "example" in raw:
            examples.append(Example("example", "", raw["example"]))
        for example_name, example in (raw.get("examples") or {}).items():
            example = resolver.deref(example)
            examples.append(
                Example(
                    str(example_name),
                    str(example.get("summary", "")),
                    example.get("value"),
                    example.get("externalValue"),
                )
            )
        media_types.append(
            MediaType(
                name=name,
                schema=resolver.inline(raw["schema"]) if "schema" in raw else None,
                examples=tuple(examples),
                extensions={k: v for k, v in raw.items() if k.startswith("x-")},
            )
        )
    return tuple(media_types)


def _all_examples(spec: ApiSpec) -> Iterator[Example]:
    for op in spec.operations:
        bodies = [op.request_body.content] if op.request_body else []
        for content in [*bodies, *(r.content for r in op.responses)]:
            for media in content:
                yield from media.examples


def _endpoints(registry: Registry, specs: dict[str, ApiSpec]) -> tuple[Endpoint, ...]:
    grouped: dict[tuple[str, str], dict[str, Operation]] = {}
    for version in registry.versions:
        spec = specs.get(version.name)
        for op in spec.operations if spec else ():
            grouped.setdefault((op.path, op.method), {})[version.name] = op
    endpoints = []
    for (path, method), operations in sorted(grouped.items()):
        names = list(operations)
        differences = {
            (older, newer): tuple(diff_pointers(operations[older].contract, operations[newer].contract))
            for older, newer in itertools.pairwise(names)
        }
        endpoints.append(Endpoint(method, path, operations, {k: v for k, v in differences.items() if v}))
    return tuple(endpoints)


# Examples illustrate a contract without being part of it (their URLs even carry the version segment).
NOT_CONTRACT = frozenset({"example", "examples"})


def diff_pointers(old: Any, new: Any, pointer: str = "") -> Iterator[str]:
    """JSON pointers of the places where two contracts differ (added, removed or changed), examples aside."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            if key in NOT_CONTRACT:
                continue
            if key not in old or key not in new:
                yield join_pointer(pointer, key)
            else:
                yield from diff_pointers(old[key], new[key], join_pointer(pointer, key))
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from diff_pointers(a, b, join_pointer(pointer, i))
    elif old != new:
        yield pointer


def unregistered_version(name: str, spec: str) -> Version:
    """A version read from a spec's `info.version` alone (no registry): its own segment, no aliases,
    released unless the number says prerelease."""
    number = lenient_version(name)
    return Version(
        name=name,
        segment="v" + name,
        aliases=(),
        status="prerelease" if number.status else "released",
        deprecated=False,
        deprecation=None,
        sunset=None,
        spec=spec,
        number=number,
    )
