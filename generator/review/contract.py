"""The parts of an operation keyed as clients see them: parameters by location and name (header names in any
case, path parameters by their place in the template), responses by status, headers by lower-cased name, media
types normalized, security as alternatives of needed credentials.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from dicom_service.web.mediatypes import parse_media_type
from generator.diagnostics import join_pointer
from generator.model import Operation
from generator.review.effective import Doc

_TEMPLATE = re.compile(r"\{[^}/]*\}")
# OpenAPI: header parameters with these names are ignored (HTTP itself carries them).
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_PARAMETER_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


class Entry(NamedTuple):
    """One member of a keyed collection: a parameter, a response, a header, a media type."""

    name: str  # as written
    node: dict[str, Any]  # the object, references followed
    pointer: str  # where the object is written (a component when it is referenced)
    entry: str  # where the operation lists it: the place a member is added to or removed from


def normalize_path(path: str) -> str:
    return _TEMPLATE.sub("{}", path)


def parameters(doc: Doc, op: Operation) -> dict[tuple[str, str], Entry]:
    """Path-level and operation-level parameters (the operation's win), keyed as clients see them."""
    item_pointer = join_pointer("/paths", op.path)
    merged: dict[tuple[str, str], Entry] = {}
    for holder_pointer in (item_pointer, join_pointer(item_pointer, op.method)):
        holder = doc.at(holder_pointer)
        raw_list = holder.get("parameters") if isinstance(holder, dict) else None
        for i, raw in enumerate(raw_list if isinstance(raw_list, list) else []):
            entry = join_pointer(holder_pointer, "parameters", i)
            node, pointer = doc.deref(raw, entry)
            if isinstance(node, dict):
                name = str(node.get("name"))
                merged[(name, str(node.get("in")))] = Entry(name, node, pointer, entry)
    names = [n[1:-1] for n in _TEMPLATE.findall(op.path)]
    keyed: dict[tuple[str, str], Entry] = {}
    for (name, location), found in merged.items():
        if location == "header" and name.lower() in _IGNORED_HEADERS:
            continue
        if location == "path" and name in names:
            keyed[("path", str(names.index(name)))] = found  # the place in the URL, whatever its name
        else:
            keyed[(location, name.lower() if location == "header" else name)] = found
    return keyed


def param_name(param: dict[str, Any]) -> str:
    return f"{param.get('in')} parameter {param.get('name')}"


def serialization(param: dict[str, Any]) -> tuple[str, bool]:
    style = str(param.get("style") or _PARAMETER_STYLE.get(str(param.get("in")), "form"))
    return style, bool(param.get("explode", style == "form"))


def parameter_schema(param: dict[str, Any], pointer: str) -> tuple[Any, str] | None:
    if "schema" in param:
        return param["schema"], join_pointer(pointer, "schema")
    content = param.get("content")
    if isinstance(content, dict) and content:
        name, media = next(iter(content.items()))
        if isinstance(media, dict) and "schema" in media:
            return media["schema"], join_pointer(pointer, "content", name, "schema")
    return None


def media_key(name: str) -> str:
    """A media type as compared: lower-cased, parameters sorted, JSON's charset dropped."""
    essence, params = parse_media_type(name)
    if is_json(essence):
        params.pop("charset", None)  # JSON is UTF-8 (RFC 8259); the parameter changes nothing
    return essence + "".join(f";{k}={v.lower()}" for k, v in sorted(params.items()))


def is_json(key: str) -> bool:
    essence = key.split(";", 1)[0]
    return essence == "application/json" or essence.endswith("+json")


def media_types(content: Any, pointer: str) -> dict[str, Entry]:
    if not isinstance(content, dict):
        return {}
    result = {}
    for name, media in content.items():
        where = join_pointer(pointer, name)
        result[media_key(str(name))] = Entry(
            str(name), media if isinstance(media, dict) else {}, where, where
        )
    return result


def responses(doc: Doc, raw: dict[str, Any], pointer: str) -> dict[str, Entry]:
    listed = raw.get("responses")
    result = {}
    for status, response in listed.items() if isinstance(listed, dict) else []:
        entry = join_pointer(pointer, "responses", status)
        node, where = doc.deref(response, entry)
        result[str(status).upper()] = Entry(str(status), node if isinstance(node, dict) else {}, where, entry)
    return result


def is_error(status: str) -> bool:
    return status[:1] in ("4", "5") or status == "DEFAULT"


def headers(doc: Doc, response: Entry) -> dict[str, Entry]:
    listed = response.node.get("headers")
    result = {}
    for name, header in listed.items() if isinstance(listed, dict) else []:
        if str(name).lower() == "content-type":
            continue  # OpenAPI ignores it: the media types say it
        entry = join_pointer(response.pointer, "headers", name)
        node, where = doc.deref(header, entry)
        result[str(name).lower()] = Entry(str(name), node if isinstance(node, dict) else {}, where, entry)
    return result


def security_requirements(document: dict[str, Any], operation: dict[str, Any]) -> list[frozenset[str]]:
    """Security as alternatives, each the set of schemes and scopes it needs; none needed is the empty set."""
    raw = operation["security"] if "security" in operation else document.get("security")
    alternatives = []
    for requirement in raw if isinstance(raw, list) else []:
        if isinstance(requirement, dict):
            needs = set()
            for scheme, scopes in requirement.items():
                needs.add(str(scheme))
                needs.update(f"{scheme}:{s}" for s in (scopes if isinstance(scopes, list) else []))
            alternatives.append(frozenset(needs))
    return alternatives or [frozenset()]


def show_security(needs: frozenset[str]) -> str:
    return "no credentials" if not needs else " + ".join(sorted(needs))
