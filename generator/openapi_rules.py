"""OpenAPI validity of one version's bundled document: every error openapi-spec-validator finds, reduced to
its most specific cause and located at the pointer where it can be fixed, and the defaults their own schema
rejects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from generator.diagnostics import join_pointer, shorten
from generator.refs import Bundle, resolve_pointer
from generator.rules import Report


def check_openapi(bundle: Bundle, report: Report) -> None:
    """openapi-spec-validator, every error of the document."""
    # Imported here: the validators take a quarter of a second to import, and cached runs never need them.
    from openapi_spec_validator import OpenAPIV30SpecValidator
    from openapi_spec_validator.validation.exceptions import DuplicateOperationIDError

    document = bundle.document
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.0."):
        report(
            "/openapi",
            "openapi-version",
            "the project's specs are OpenAPI 3.0.x documents (`openapi: 3.0.3`)",
        )
        return
    located_defaults = list(invalid_defaults(document))
    for pointer, message in located_defaults:
        report(pointer, "schema-default", message)
    default_messages = {message for _, message in located_defaults}
    reported: set[str] = set()  # pointers: one problem per place, the same cause is often reached twice
    for error in OpenAPIV30SpecValidator(document).iter_errors():
        if isinstance(error, DuplicateOperationIDError):
            continue  # check_project_rules reports it with both locations
        path = list(getattr(error, "absolute_path", []) or [])
        if not path and getattr(error, "message", "") in default_messages:
            continue  # the validator's location-less report of a default located above
        cause = _cause(error)
        located = _locate(document, list(getattr(cause, "absolute_path", []) or []), cause)
        message = _explain(cause)
        if located is None:
            where = "/".join(map(str, getattr(cause, "absolute_path", []) or []))
            located, message = "", f"at {where}: {message}"
        if located in reported and located:
            continue
        reported.add(located)
        report(located, "openapi", shorten(message))


def _cause(error: Any) -> Any:
    """The most specific reason of a validation error: for `oneOf`/`anyOf`, the failure of the alternative
    that got furthest, skipping the `$ref` alternative every OpenAPI object has."""
    candidates = [
        c
        for c in getattr(error, "context", None) or []
        if not (c.validator == "required" and "'$ref'" in c.message)
    ]
    if not candidates:
        return error
    causes = [_cause(c) for c in candidates]
    depth = max(len(list(c.absolute_path)) for c in causes)
    deepest = [c for c in causes if len(list(c.absolute_path)) == depth]
    enums = [
        c
        for c in deepest
        if c.validator == "enum" and list(c.absolute_path) == list(deepest[0].absolute_path)
    ]
    if len(enums) > 1 and len(enums) == len(deepest):
        allowed = sorted({repr(v) for c in enums for v in c.validator_value})
        return _Cause(
            "enum",
            enums[0].instance,
            enums[0].absolute_path,
            f"{enums[0].instance!r} is not one of {', '.join(allowed)}",
        )
    return min(deepest, key=lambda c: c.validator in ("oneOf", "anyOf"))


@dataclass(frozen=True)
class _Cause:
    """Several alternatives failing on the same value, said once."""

    validator: str
    instance: Any
    absolute_path: Any
    message: str


def _explain(error: Any) -> str:
    """The failed keyword and its reason, without a dump of the whole object."""
    keyword = getattr(error, "validator", None)
    instance = getattr(error, "instance", None)
    message = str(getattr(error, "message", error))
    if keyword in ("oneOf", "anyOf"):
        message = "matches none of the forms the OpenAPI 3.0 schema allows here"
    elif keyword == "additionalProperties" and isinstance(instance, dict):
        message = message[message.find("(") :] if "(" in message else message
        message = f"unexpected field {message.strip('()')}"
    elif isinstance(instance, (dict, list)) and message.startswith(repr(instance)):
        message = "the value" + message[len(repr(instance)) :]
    return f"{message} (OpenAPI schema keyword `{keyword}`)" if keyword else message


def _locate(document: dict[str, Any], path: list[Any], error: Any) -> str | None:
    """The pointer of an error's path, or, for a schema checked on its own (relative path), of the schema
    in the document where that path holds the failing value."""
    pointer = join_pointer("", *path)
    try:
        resolve_pointer(document, pointer)
        if path:
            return pointer
    except (KeyError, ValueError):
        pass
    instance = getattr(error, "instance", None)
    for schema_pointer, _ in _schemas(document, "", False):
        candidate = schema_pointer + pointer
        try:
            if resolve_pointer(document, candidate) == instance:
                return candidate
        except (KeyError, ValueError, TypeError):
            continue
    return pointer if not path else None


def invalid_defaults(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(pointer of `default`, message) for each schema whose default its own schema rejects."""
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    for pointer, schema in _schemas(document, "", False):
        if "default" not in schema or (schema["default"] is None and schema.get("nullable") is True):
            continue
        rules = {k: v for k, v in schema.items() if k != "default"}
        if any(isinstance(v, dict) and "$ref" in v for v in rules.values()):
            continue  # defaults of composite schemas are left to openapi-spec-validator
        for error in OAS30Validator(rules, format_checker=oas30_format_checker).iter_errors(
            schema["default"]
        ):
            yield join_pointer(pointer, "default"), error.message


def _schemas(node: Any, pointer: str, in_schema: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if in_schema and "$ref" not in node:
            yield pointer, node
        for key, value in node.items():
            child_is_schema = key in ("schema", "items", "not", "additionalProperties") or (
                in_schema and key in ("properties",)
            )
            if in_schema and key == "properties" and isinstance(value, dict):
                for name, prop in value.items():
                    yield from _schemas(prop, join_pointer(pointer, key, name), True)
            elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
                for i, item in enumerate(value):
                    yield from _schemas(item, join_pointer(pointer, key, i), True)
            elif pointer == "/components" and key == "schemas" and isinstance(value, dict):
                for name, item in value.items():
                    yield from _schemas(item, join_pointer(pointer, key, name), True)
            elif key not in ("example", "examples", "default", "enum", "x-dicom"):
                yield from _schemas(
                    value, join_pointer(pointer, key), child_is_schema and key != "properties"
                )
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _schemas(item, join_pointer(pointer, i), False)
