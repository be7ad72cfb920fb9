"""Reads an OpenAPI 3.0 or 3.1 document for the review: leniently, and only the parts that make the contract.

Lint is strict (`make lint-specs` validates every spec against the OpenAPI meta-schema); the review reads any
document whose contract it can read, as the ecosystem's tools do. What does not change the contract becomes a
warning: a number as info.version, a `default` outside its `enum`, path parameters used but not declared,
fields OpenAPI does not define, `$ref` inside example values (literal data, never resolved). It refuses only
what it cannot read: YAML or JSON it cannot parse, a document that is not OpenAPI 3.x, references that lead
nowhere, and the parts the comparison walks (paths, operations, parameters, responses, content) when they do
not have the shape OpenAPI gives them.

Examples are dropped on reading: the review ignores them, and they are most of a large description.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from yaml.nodes import MappingNode, ScalarNode

from generator.diagnostics import (
    Diagnostic,
    Diagnostics,
    InputError,
    escape_pointer_token,
    join_pointer,
    split_pointer,
)
from generator.loader import build_spec, unregistered_version
from generator.model import ApiSpec
from generator.refs import UNRESOLVED, Bundle, SpecFiles, bundle, iter_refs, resolve_pointer
from generator.registry import Version
from generator.review.lines import Locator, line_finder, locator
from generator.review.shape import check_shape, undeclared_path_parameters
from generator.yamlsafe import YamlDocument

WARNING = "warning"
# Maps whose keys are names chosen by the author, never keywords (a property may be called `example`).
_NAMED = frozenset(
    {
        "properties",
        "patternProperties",
        "definitions",
        "$defs",
        "paths",
        "webhooks",
        "responses",
        "content",
        "headers",
        "links",
        "callbacks",
        "encoding",
        "mapping",
        "variables",
        "dependentSchemas",
    }
)
# Values that are literal data: never walked for examples or references.
_LITERAL = frozenset({"enum", "const", "default"})
_EXAMPLES = frozenset({"example", "examples"})


@dataclass(frozen=True)
class ReadSpec:
    """One document as the review reads it: the spec, where its lines are, and what was read leniently."""

    spec: ApiSpec
    locate: Locator
    warnings: tuple[Diagnostic, ...]


def read_document(folder: Path, rel: str, label: str, version: Version | None = None) -> ReadSpec:
    """The document `rel` under `folder`, named `label` in messages; InputError only when it cannot be read.

    `version` comes from a registry; without one the document's info.version names it.
    """
    diagnostics = Diagnostics()
    files = SpecFiles(folder, diagnostics)
    doc = files.load(rel)
    if doc is None:
        raise InputError(_relabel(diagnostics, label, rel))
    lines = line_finder(doc)
    reader = _Reader(doc, rel, diagnostics, lines)
    reader.read()
    if diagnostics.errors:
        raise InputError(_relabel(diagnostics, label, rel))
    # A self-contained document (most are) needs no bundling: its references were collected on reading.
    result = bundle(files, rel) if reader.external else Bundle(rel, doc.data, files)
    if result is None:
        raise InputError(_relabel(diagnostics, label, rel))
    locate = locator(result, lines, rel, rel)
    refs = iter_refs(result.document) if reader.external else reader.refs
    _check_refs(result.document, refs, diagnostics, locate)
    if diagnostics.errors:
        raise InputError(_relabel(diagnostics, label, rel))
    check_shape(result, diagnostics, locate)
    if diagnostics.errors:
        raise InputError(_relabel(diagnostics, label, rel))
    spec = _build(result, version or _own_version(doc, rel, diagnostics, lines), label)
    undeclared_path_parameters(spec, diagnostics, locate)
    warnings = tuple(d for d in _relabel(diagnostics, label, rel) if d.severity == WARNING)
    return ReadSpec(spec, locator(result, lines, label, rel), warnings)


def _build(result: Bundle, version: Version, label: str) -> ApiSpec:
    try:
        return build_spec(result, version)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        # The checks above cover what OpenAPI allows; this is for what they did not foresee.
        message = f"the contract cannot be read ({type(exc).__name__}: {str(exc)[:200]})"
        raise InputError([Diagnostic(label, None, "", "review-unreadable", message)]) from None


def _check_refs(
    document: Any, refs: Iterable[tuple[str, str]], diagnostics: Diagnostics, locate: Locator
) -> None:
    """Internal references that dangle or loop: the contract behind them cannot be read."""
    for pointer, ref in refs:
        if ref == UNRESOLVED or not ref.startswith("#") or _unread(pointer):
            continue
        seen = [pointer]
        target_ref = ref
        while True:
            try:
                target = resolve_pointer(document, unquote(target_ref[1:]))
            except (KeyError, ValueError):
                problem = f"{target_ref!r} does not resolve"
            else:
                if not (isinstance(target, dict) and isinstance(target.get("$ref"), str)):
                    break
                if target_ref[1:] not in seen:
                    seen.append(target_ref[1:])
                    target_ref = target["$ref"]
                    if target_ref.startswith("#") and target_ref != UNRESOLVED:
                        continue
                    break
                problem = f"$ref cycle: {' -> '.join([*seen, target_ref[1:]])}"
            where = join_pointer(pointer, "$ref")
            file, line = locate(where)
            diagnostics.add(file, where, "review-ref", problem, line)
            break


def _unread(pointer: str) -> bool:
    """Top-level extensions (x-webhooks...) are compared as data, never followed; x-dicom is read."""
    return pointer.startswith("/x-") and not pointer.startswith("/x-dicom")


def _relabel(diagnostics: Diagnostics, label: str, rel: str) -> list[Diagnostic]:
    """Diagnostics name files as the user named them: `label` for the document, folder-relative otherwise."""
    base = Path(label).parent if Path(label).name == Path(rel).name else Path(label)
    return [
        Diagnostic(
            label if d.file == rel else str(base / d.file), d.line, d.pointer, d.code, d.message, d.severity
        )
        for d in diagnostics
    ]


def _own_version(
    doc: YamlDocument, rel: str, diagnostics: Diagnostics, lines: Callable[[str], int | None]
) -> Version:
    info = doc.data.get("info") if isinstance(doc.data, dict) else None
    raw = info.get("version") if isinstance(info, dict) else None
    if isinstance(raw, str) and raw:
        name = raw
    elif raw is None or isinstance(raw, dict | list):
        name = "0"
        diagnostics.add(
            rel, "/info/version", "review-version", "info.version is missing; read as 0", None, WARNING
        )
    else:
        name = _scalar_text(doc, "/info/version") or str(raw)
        diagnostics.add(
            rel,
            "/info/version",
            "review-version",
            f"info.version {name} is a {type(raw).__name__}, not a string; read as {name!r} (quote it)",
            lines("/info/version"),
            WARNING,
        )
    return unregistered_version(name, rel)


def _scalar_text(doc: YamlDocument, pointer: str) -> str | None:
    """The scalar as written in a YAML source (`1.10` stays `1.10`); None for JSON sources."""
    node = doc.root
    for token in split_pointer(pointer):
        if not isinstance(node, MappingNode):
            return None
        node = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == token), None)
    return node.value if isinstance(node, ScalarNode) else None


class _Reader:
    """One walk of the parsed document: drops examples, notes what is read leniently, refuses non-OpenAPI."""

    def __init__(
        self, doc: YamlDocument, rel: str, diagnostics: Diagnostics, lines: Callable[[str], int | None]
    ) -> None:
        self.doc, self.rel, self.diagnostics, self.lines = doc, rel, diagnostics, lines
        self.refs: list[tuple[str, str]] = []  # (pointer of the object holding `$ref`, reference)
        self.external = False  # whether anything refers to another file

    def warn(self, pointer: str, code: str, message: str) -> None:
        self.diagnostics.add(self.rel, pointer, code, message, self.lines(pointer), WARNING)

    def refuse(self, pointer: str, code: str, message: str) -> None:
        self.diagnostics.add(self.rel, pointer, code, message, self.lines(pointer))

    def read(self) -> None:
        data = self.doc.data
        if not isinstance(data, dict):
            self.refuse("", "review-not-openapi", "not an OpenAPI document: the top level must be a mapping")
            return
        if "swagger" in data and "openapi" not in data:
            self.refuse("/swagger", "review-not-openapi", "Swagger 2.0 is not read; convert it to OpenAPI 3")
            return
        version = data.get("openapi")
        if version is None:
            if not isinstance(data.get("paths"), dict):
                self.refuse("", "review-not-openapi", "not an OpenAPI document: no `openapi` and no `paths`")
                return
            self.warn("", "review-openapi-version", "no `openapi` field; read as OpenAPI 3.0")
        elif not str(version).startswith("3."):
            self.refuse(
                "/openapi", "review-not-openapi", f"openapi {version!r}: only OpenAPI 3.0 and 3.1 are read"
            )
            return
        elif not isinstance(version, str):
            self.warn("/openapi", "review-openapi-version", f"openapi {version!r} is a number; quote it")
        self._walk(data, "", False)
        for key in data:
            if key not in _TOP_FIELDS and not str(key).startswith("x-"):
                self.warn(join_pointer("", key), "review-unknown-field", f"unknown field {key!r} ignored")

    def _literal(self, value: Any, pointer: str) -> None:
        refs = _refs(value)
        if refs:
            self.warn(
                join_pointer(pointer, *refs[0]),
                "review-example-ref",
                f"`$ref` inside an example value is literal data, not resolved ({len(refs)} here)",
            )

    def _walk(self, node: dict[str, Any], pointer: str, named: bool) -> None:
        """Drop `example`/`examples` where they are keywords, warn about defaults outside their enum, and
        collect the references the contract may follow."""
        if not named:
            if "example" in node or "examples" in node:
                self._drop_examples(node, pointer)
            ref = node.get("$ref")
            if isinstance(ref, str):
                self.refs.append((pointer, ref))
                if not ref.startswith("#"):
                    self.external = True
            if "enum" in node and "default" in node:
                self._default(node, pointer)
        for key, value in node.items():
            if named:
                child_named = False
            elif key in _LITERAL:
                continue
            elif key[:2] == "x-":
                if pointer or key == "x-dicom":
                    self.refs.extend(_refs_in(value, join_pointer(pointer, key)))
                continue  # top-level extensions (x-webhooks) are compared as data, never followed
            elif key == "externalValue":
                self.external = True
                continue
            else:
                child_named = key in _NAMED or (pointer == "/components")
            if type(value) is dict:
                self._walk(value, f"{pointer}/{_token(key)}", child_named)
            elif type(value) is list:
                at = f"{pointer}/{_token(key)}"
                for i, item in enumerate(value):
                    if type(item) is dict:
                        self._walk(item, f"{at}/{i}", False)

    def _drop_examples(self, node: dict[str, Any], pointer: str) -> None:
        for key in _EXAMPLES & node.keys():
            value = node[key]
            if key == "examples" and isinstance(value, dict):
                # Example objects: a `$ref` on one refers to a component; its `value` is literal data.
                for name, example in value.items():
                    if isinstance(example, dict) and "value" in example:
                        self._literal(example["value"], join_pointer(pointer, key, name, "value"))
            else:
                self._literal(value, join_pointer(pointer, key))
            del node[key]

    def _default(self, node: dict[str, Any], pointer: str) -> None:
        enum, default = node["enum"], node["default"]
        if isinstance(enum, list) and not _within(default, enum, node):
            self.warn(
                join_pointer(pointer, "default"),
                "review-default-not-in-enum",
                f"default {_short(default)} is not one of the enum's values; the review reads the enum",
            )


def _token(key: str) -> str:
    return key if "/" not in key and "~" not in key else escape_pointer_token(key)


def _refs_in(node: Any, pointer: str) -> list[tuple[str, str]]:
    return [(join_pointer(pointer, *p[:-1]), node_ref) for p, node_ref in _ref_values(node)]


def _ref_values(node: Any) -> list[tuple[list[str | int], str]]:
    found = []
    for path in _refs(node):
        holder = node
        for token in path[:-1]:
            holder = holder[token]
        if isinstance(holder.get("$ref"), str):
            found.append((path, holder["$ref"]))
    return found


_TOP_FIELDS = frozenset(
    {"openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components", "security", "tags",
     "externalDocs"}
)  # fmt: skip
_NONE: Any = object()


def _within(value: Any, enum: list[Any], schema: dict[str, Any]) -> bool:
    if value is None and schema.get("nullable") is True:
        return True
    return any(value == item and type(value) is type(item) for item in enum)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _refs(node: Any) -> list[list[str | int]]:
    """Paths of the `$ref` keys inside literal data (first 100)."""
    found: list[list[str | int]] = []
    stack: list[tuple[Any, list[str | int]]] = [(node, [])]
    while stack and len(found) < 100:
        item, path = stack.pop()
        if isinstance(item, dict):
            if "$ref" in item:
                found.append([*path, "$ref"])
            stack.extend((v, [*path, k]) for k, v in item.items() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, [*path, i]) for i, v in enumerate(item) if isinstance(v, dict | list))
    return sorted(found, key=lambda p: [str(t) for t in p])
