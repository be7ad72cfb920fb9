"""`$ref` resolution confined to the specs folder, bundling into one self-contained document.

References that point into another file under the root are inlined where they stand, so the served and
reviewed document of a version never depends on other files. Internal references (`#/components/...`) are
kept. Remote references, absolute paths and `../` escapes are refused; dangling references and cycles of
references are reported, never looped on.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from generator.diagnostics import Diagnostics, join_pointer, split_pointer
from generator.yamlsafe import YamlDocument, YamlProblem, load_yaml

MAX_FILE_BYTES = 20 * 1024 * 1024
# Stands in for a reference already reported as broken, so it is reported once.
UNRESOLVED = "#/x-unresolved"


class SpecFiles:
    """YAML files under one root folder, each read once; a problem with a file is reported once."""

    def __init__(self, root: Path, diagnostics: Diagnostics) -> None:
        self.root = root.resolve()
        self.diagnostics = diagnostics
        self._docs: dict[str, YamlDocument | None] = {}
        self._texts: dict[str, str] = {}

    def load(self, rel: str) -> YamlDocument | None:
        if rel in self._docs:
            return self._docs[rel]
        path = self.root / rel
        doc: YamlDocument | None = None
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                self.diagnostics.add(rel, "", "file-too-large", f"larger than {MAX_FILE_BYTES} bytes")
            else:
                self._texts[rel] = path.read_text(encoding="utf-8")
                doc = load_yaml(self._texts[rel])
        except FileNotFoundError:
            self.diagnostics.add(rel, "", "file-missing", "file does not exist")
        except UnicodeDecodeError as exc:
            self.diagnostics.add(rel, "", "file-encoding", f"not UTF-8 text ({exc.reason})")
        except YamlProblem as exc:
            self.diagnostics.add(rel, exc.pointer, exc.code, exc.message, exc.line)
        self._docs[rel] = doc
        return doc

    def text(self, rel: str) -> str | None:
        return self._texts.get(rel)

    def locate(self, rel: str) -> Path:
        return self.root / rel

    def line(self, rel: str, pointer: str) -> int | None:
        doc = self._docs.get(rel)
        return doc.line_of(pointer) if doc else None

    def relative(self, base_file: str, reference: str) -> str | None:
        """`reference` (relative to base_file) as a root-relative path, or None if it leaves the root."""
        if reference.startswith("/") or "\\" in reference:
            return None
        joined = PurePosixPath(base_file).parent / reference
        parts: list[str] = []
        for part in joined.parts:
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            elif part not in (".", ""):
                parts.append(part)
        rel = "/".join(parts)
        resolved = (self.root / rel).resolve()
        if resolved != self.root and self.root not in resolved.parents:
            return None  # a symlink out of the root
        return rel


@dataclass
class Bundle:
    """One version's document with every external reference inlined, and where each part came from."""

    file: str
    document: Any
    files: SpecFiles
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)

    def locate(self, pointer: str) -> tuple[str, int | None]:
        """The source file and line of a pointer into the bundled document."""
        probe = pointer
        while True:
            if probe in self.origins:
                file, file_pointer = self.origins[probe]
                return file, self.files.line(file, file_pointer + pointer[len(probe) :])
            if not probe:
                return self.file, self.files.line(self.file, pointer)
            probe = probe.rsplit("/", 1)[0]


def classify_ref(ref: str) -> tuple[str, str, str]:
    """(kind, path, fragment) where kind is internal, file or remote."""
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or ref.startswith("//"):
        return "remote", "", ""
    path = unquote(parts.path)
    fragment = unquote(parts.fragment)
    return ("file" if path else "internal"), path, fragment


def resolve_pointer(document: Any, pointer: str) -> Any:
    node = document
    for token in split_pointer(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(pointer)
    return node


def follow(document: Any, node: Any, pointer: str = "") -> tuple[Any, str, str | None]:
    """The end of node's chain of internal references: (target, its pointer, problem). The problem is None,
    "cycle" or "dangling"; the chain then stops at the last node reached. Every `$ref` follower uses this."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        target = unquote(node["$ref"][1:])
        if target in seen:
            return node, pointer, "cycle"
        seen.add(target)
        try:
            node, pointer = resolve_pointer(document, target), target
        except (KeyError, ValueError):
            return node, pointer, "dangling"
    return node, pointer, None


def bundle(files: SpecFiles, rel: str) -> Bundle | None:
    doc = files.load(rel)
    if doc is None:
        return None
    result = Bundle(rel, None, files)
    if _has_external(doc.data):
        result.document = _Bundler(files, rel, result).walk(doc.data, rel, "", "", ())
    else:
        result.document = doc.data  # self-contained already: nothing to inline or check
    return result


class _Bundler:
    def __init__(self, files: SpecFiles, root_file: str, result: Bundle) -> None:
        self.files = files
        self.root_file = root_file
        self.result = result
        self.diagnostics = files.diagnostics

    def problem(self, file: str, pointer: str, code: str, message: str) -> None:
        self.diagnostics.add(file, pointer, code, message, self.files.line(file, pointer))

    def walk(self, node: Any, file: str, pointer: str, out: str, stack: tuple[tuple[str, str], ...]) -> Any:
        """node with external references inlined; pointer/out locate it in its file and in the bundle."""
        if isinstance(node, list):
            return [self.walk(v, file, f"{pointer}/{i}", f"{out}/{i}", stack) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if "$ref" in node and not isinstance(ref, str | dict):
            self.problem(file, join_pointer(pointer, "$ref"), "ref-invalid", "`$ref` must be a string")
            return node
        # A mapping under `$ref` is a schema property that happens to be named `$ref` (SCIM has one).
        if isinstance(ref, str):
            inlined = self.follow(ref, file, pointer, out, stack)
            if inlined is not None:
                return inlined
        result = {}
        for key, value in node.items():
            if isinstance(value, dict | list):
                result[key] = self.walk(
                    value, file, join_pointer(pointer, key), join_pointer(out, key), stack
                )
            elif key == "externalValue" and isinstance(value, str):
                result[key] = self.external_value(value, file, join_pointer(pointer, key))
            else:
                result[key] = value
        return result

    def follow(self, ref: str, file: str, pointer: str, out: str, stack: tuple[tuple[str, str], ...]) -> Any:
        """The inlined target of a reference into another file, or None to keep the reference as written."""
        where = join_pointer(pointer, "$ref")
        kind, path, fragment = classify_ref(ref)
        if kind == "remote":
            self.problem(
                file, where, "ref-remote", f"remote reference {ref!r}; references must stay inside specs/"
            )
            return {"$ref": UNRESOLVED}
        if fragment and not fragment.startswith("/"):
            self.problem(
                file, where, "ref-invalid", f"{ref!r}: the fragment must be a JSON pointer (`#/...`)"
            )
            return {"$ref": UNRESOLVED}
        if kind == "internal" and file == self.root_file:
            return None
        target_file = file
        if kind == "file":
            rel = self.files.relative(file, path)
            if rel is None:
                self.problem(
                    file,
                    where,
                    "ref-escape",
                    f"{ref!r} points outside specs/; references must stay inside it",
                )
                return {"$ref": UNRESOLVED}
            target_file = rel
        if target_file == self.root_file:
            return {"$ref": "#" + fragment}
        key = (target_file, fragment)
        if key in stack:
            chain = " -> ".join(f"{f}#{p}" for f, p in (*stack, key))
            self.problem(file, where, "ref-cycle", f"$ref cycle across files cannot be bundled: {chain}")
            return {"$ref": UNRESOLVED}
        doc = self.files.load(target_file) if self.files.locate(target_file).is_file() else None
        if doc is None:
            self.problem(file, where, "ref-dangling", f"{ref!r}: file {target_file!r} cannot be read")
            return {"$ref": UNRESOLVED}
        try:
            target = resolve_pointer(doc.data, fragment)
        except KeyError:
            self.problem(file, where, "ref-dangling", f"{ref!r}: no {fragment or '/'} in {target_file}")
            return {"$ref": UNRESOLVED}
        self.result.origins[out] = (target_file, fragment)
        return self.walk(copy.deepcopy(target), target_file, fragment, out, (*stack, key))

    def external_value(self, value: str, file: str, pointer: str) -> str:
        kind, path, _ = classify_ref(value)
        rel = self.files.relative(file, path) if kind == "file" else None
        if rel is None:
            self.problem(
                file, pointer, "example-external", f"externalValue {value!r} must be a file inside specs/"
            )
            return value
        if not self.files.locate(rel).is_file():
            self.problem(
                file, pointer, "example-external", f"externalValue {value!r}: file {rel!r} does not exist"
            )
        return rel


def _has_external(node: Any) -> bool:
    """Whether a document refers outside itself (a `$ref` to a file or a URL, or an externalValue)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if "$ref" in item and not (isinstance(ref, str) and ref.startswith("#")):
                return True
            if "externalValue" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def iter_refs(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every (pointer of the object holding `$ref`, reference) in a document."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield pointer, ref
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from iter_refs(value, join_pointer(pointer, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict | list):
                yield from iter_refs(value, f"{pointer}/{i}")


def check_internal_refs(result: Bundle, diagnostics: Diagnostics) -> None:
    """Report internal references that dangle, and chains of references that loop."""
    document = result.document

    def report(pointer: str, code: str, message: str) -> None:
        where = join_pointer(pointer, "$ref")
        file, line = result.locate(where)  # only for a problem: finding a line is not free
        diagnostics.add(file, where, code, message, line)

    for pointer, ref in iter_refs(document):
        if ref == UNRESOLVED or not ref.startswith("#"):
            continue
        chain = [pointer]
        target_ref = ref
        while True:
            try:
                target = resolve_pointer(document, target_ref[1:])
            except (KeyError, ValueError):
                report(pointer, "ref-dangling", f"{target_ref!r} does not resolve")
                break
            if not (isinstance(target, dict) and isinstance(target.get("$ref"), str)):
                break
            if target_ref[1:] in chain:
                report(pointer, "ref-cycle", f"$ref cycle: {' -> '.join([*chain, target_ref[1:]])}")
                break
            chain.append(target_ref[1:])
            target_ref = target["$ref"]
            if not target_ref.startswith("#") or target_ref == UNRESOLVED:
                break


class Resolver:
    """Follows internal references of a bundled document."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self._memo: dict[str, Any] = {}

    def deref(self, node: Any) -> Any:
        return self.follow(node, "")[0]

    def follow(self, node: Any, pointer: str) -> tuple[Any, str]:
        """(target, its pointer) at the end of node's chain of references; as given when there is none."""
        target, where, problem = follow(self.document, node, pointer)
        if problem == "cycle":
            raise ValueError(f"$ref cycle at {target['$ref']}")
        if problem == "dangling":
            raise KeyError(target["$ref"])
        return target, where

    def inline(self, node: Any) -> Any:
        """The node with references replaced by their targets; a recursive reference is kept as written.

        The result shares sub-objects between callers (targets are inlined once), so treat it as read-only.
        """
        return self._inline(node, ())[0]

    def _inline(self, node: Any, active: tuple[str, ...]) -> tuple[Any, frozenset[str]]:
        """(inlined node, references cut short because they recurse into an enclosing one)."""
        if isinstance(node, list):
            items = [self._inline(v, active) for v in node]
            return [value for value, _ in items], frozenset().union(*(cut for _, cut in items))
        if not isinstance(node, dict):
            return node, frozenset()
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            if ref in active:
                return {"$ref": ref}, frozenset({ref})
            if ref in self._memo:
                return self._memo[ref], frozenset()
            value, cut = self._inline(resolve_pointer(self.document, ref[1:]), (*active, ref))
            cut = cut - {ref}
            if not cut:  # the same wherever it is reached from
                self._memo[ref] = value
            return value, cut
        result: dict[str, Any] = {}
        cuts: frozenset[str] = frozenset()
        for key, value in node.items():
            if isinstance(value, dict | list):
                result[key], cut = self._inline(value, active)
                cuts |= cut
            else:
                result[key] = value
        return result, cuts
