"""Checks on one version's bundled document: OpenAPI validity and the project's own conventions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dicom_service.versioning.apiversion import ApiVersion
from generator.diagnostics import Diagnostics, join_pointer
from generator.model import HTTP_METHODS, PARTITION_PREFIX, PARTITION_SUFFIX
from generator.partition_rules import check_twins
from generator.refs import Bundle, Resolver, resolve_pointer
from generator.registry import Version
from generator.security_rules import check_security

VERSION_HEADER = "api-supported-versions"
DEPRECATED_HEADER = "api-deprecated-versions"
_OPERATION_ID = re.compile(r"^[a-z][A-Za-z0-9]*$")
_TAG = re.compile(r"^[0-9A-Fa-f]{8}$")
_VR = re.compile(r"^[A-Z]{2}$")
_UID = re.compile(r"^(\*|[0-9]+(\.[0-9]+)*)$")
MATCHING = {"exact", "range", "fuzzy", "sequence"}

Report = Callable[[str, str, str], None]


def reporter(bundle: Bundle, diagnostics: Diagnostics) -> Report:
    def report(pointer: str, code: str, message: str) -> None:
        file, line = bundle.locate(pointer)
        diagnostics.add(file, pointer, code, message, line)

    return report


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
        report(located, "openapi", _shorten(message))


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


def _shorten(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def check_project_rules(bundle: Bundle, version: Version, report: Report) -> None:
    document = bundle.document
    resolver = Resolver(document)
    info = document.get("info", {})
    if info.get("version") != version.name:
        report(
            "/info/version",
            "registry-mismatch",
            f"info.version is {info.get('version')!r}; the registry names this spec {version.name!r}",
        )
    servers = document.get("servers")
    expected = [{"url": "/" + version.segment}]
    if servers != expected:
        report(
            "/servers",
            "registry-mismatch",
            f"servers must be exactly [{{url: /{version.segment}}}] (the registry's segment)",
        )
    seen_ids: dict[str, str] = {}
    for path, method, pointer, operation in iter_operations(document):
        first = path.strip("/").split("/", 1)[0]
        if ApiVersion.from_segment(first) is not None:
            report(
                join_pointer("/paths", path),
                "path-versioned",
                f"{path}: paths are written without the version; the server URL carries it",
            )
        op_id = operation.get("operationId")
        where = f"{method.upper()} {path}"
        if not isinstance(op_id, str) or not op_id:
            report(pointer, "operation-id-missing", f"{where} has no operationId")
        elif op_id in seen_ids:
            report(
                join_pointer(pointer, "operationId"),
                "operation-id-duplicate",
                f"operationId {op_id!r} of {where} is already used by {seen_ids[op_id]}",
            )
        else:
            seen_ids[op_id] = where
            if not _OPERATION_ID.match(op_id):
                report(
                    join_pointer(pointer, "operationId"),
                    "operation-id-style",
                    f"operationId {op_id!r} must be lowerCamelCase",
                )
            if path.startswith(PARTITION_PREFIX + "/") and not op_id.endswith(PARTITION_SUFFIX):
                report(
                    join_pointer(pointer, "operationId"),
                    "partition-twin",
                    f"{where} is partition-scoped; its operationId must end in {PARTITION_SUFFIX!r}",
                )
        tags = operation.get("tags")
        if not isinstance(tags, list) or len(tags) != 1:
            report(pointer, "operation-tag", f"{where} must have exactly one tag")
        for key in ("summary", "description"):
            if not operation.get(key):
                report(pointer, "operation-doc", f"{where} has no {key}")
        _check_responses(operation, pointer, where, resolver, report)
        _check_extensions(operation, pointer, resolver, report)
    check_twins(document, list(iter_operations(document)), report)
    check_security(document, iter_operations(document), report)


def iter_operations(document: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield path, method, join_pointer("/paths", path, method), operation


def _check_responses(
    operation: dict[str, Any], pointer: str, where: str, resolver: Resolver, report: Report
) -> None:
    responses = operation.get("responses") or {}
    if "400" not in {str(status) for status in responses}:
        report(
            join_pointer(pointer, "responses"),
            "version-error",
            f"{where} must document 400 with the version error (application/json, "
            "#/components/schemas/ApiVersionError): the service answers it to a version without the endpoint",
        )
    for status, response in responses.items():
        response = resolver.deref(response)
        rpointer = join_pointer(pointer, "responses", status)
        headers = {name.lower() for name in (response.get("headers") or {})}
        for header in (VERSION_HEADER, DEPRECATED_HEADER):
            if header not in headers:
                report(
                    rpointer,
                    "version-header",
                    f"{where} {status}: every response declares the {header} header "
                    "(any version may be deprecated later without a spec change)",
                )
        if status == "400":
            content = response.get("content") or {}
            if "application/json" not in content:
                report(
                    rpointer,
                    "version-error",
                    f"{where} 400 must document the version error body as application/json",
                )


def _check_extensions(operation: dict[str, Any], pointer: str, resolver: Resolver, report: Report) -> None:
    for i, parameter in enumerate(operation.get("parameters") or []):
        parameter = resolver.deref(parameter)
        attribute = parameter.get("x-dicom-attribute")
        if attribute is None:
            continue
        ppointer = join_pointer(pointer, "parameters", i)
        if not (
            isinstance(attribute, dict)
            and isinstance(attribute.get("tag"), str)
            and _TAG.match(attribute["tag"])
            and isinstance(attribute.get("vr"), str)
            and _VR.match(attribute["vr"])
            and isinstance(attribute.get("matching"), list)
            and attribute["matching"]
            and set(attribute["matching"]) <= MATCHING
        ):
            report(
                ppointer,
                "x-dicom-attribute",
                f"x-dicom-attribute needs tag (8 hex digits), vr and matching from {sorted(MATCHING)}",
            )


class ExampleChecker:
    """Every request and response media type has an example, valid against its schema."""

    def __init__(self, bundle: Bundle, report: Report) -> None:
        import referencing
        import referencing.jsonschema

        self.document = bundle.document
        self.resolver = Resolver(self.document)
        self.report = report
        resource = referencing.Resource.from_contents(
            self.document, default_specification=referencing.jsonschema.DRAFT4
        )
        self.registry = referencing.Registry().with_resource("urn:spec", resource)

    def check(self) -> None:
        for _path, method, pointer, operation in iter_operations(self.document):
            where = f"{method.upper()} {_path}"
            body = operation.get("requestBody")
            if body is not None:
                body, body_pointer = self.resolver.follow(body, join_pointer(pointer, "requestBody"))
                self._content(body, body_pointer, f"{where} request body")
            for status, response in (operation.get("responses") or {}).items():
                response, rpointer = self.resolver.follow(
                    response, join_pointer(pointer, "responses", status)
                )
                self._content(response, rpointer, f"{where} {status}")
                for name, header in (response.get("headers") or {}).items():
                    header, hpointer = self.resolver.follow(header, join_pointer(rpointer, "headers", name))
                    if "example" in header and "schema" in header:
                        self._validate(
                            header["example"],
                            hpointer + "/schema",
                            join_pointer(hpointer, "example"),
                            f"header {name}",
                        )
            for i, parameter in enumerate(operation.get("parameters") or []):
                parameter, ppointer = self.resolver.follow(parameter, join_pointer(pointer, "parameters", i))
                if "example" in parameter and "schema" in parameter:
                    self._validate(
                        parameter["example"],
                        ppointer + "/schema",
                        join_pointer(ppointer, "example"),
                        f"parameter {parameter.get('name')}",
                    )

    def _content(self, holder: dict[str, Any], pointer: str, where: str) -> None:
        for media, item in (holder.get("content") or {}).items():
            mpointer = join_pointer(pointer, "content", media)
            multipart = media.lower().startswith("multipart/")
            if multipart and "schema" in item:
                self.report(
                    join_pointer(mpointer, "schema"),
                    "multipart-schema",
                    f"{where} {media}: multipart media types have no schema "
                    "(their parts are not a JSON value)",
                )
            if not multipart and "schema" not in item:
                self.report(mpointer, "schema-missing", f"{where} {media} has no schema")
            for i, uid in enumerate(item.get("x-transfer-syntaxes", [])):
                if not isinstance(uid, str) or not _UID.match(uid):
                    self.report(
                        join_pointer(mpointer, "x-transfer-syntaxes", i),
                        "transfer-syntax",
                        f"{uid!r} is not a transfer syntax UID or `*`",
                    )
            examples = item.get("examples") or {}
            if "example" not in item and not examples:
                self.report(mpointer, "example-missing", f"{where} {media} has no example")
                continue
            schema_pointer = (
                self.resolver.follow(item.get("schema"), join_pointer(mpointer, "schema"))[1]
                if "schema" in item
                else None
            )
            if "example" in item and schema_pointer:
                self._validate(
                    item["example"], schema_pointer, join_pointer(mpointer, "example"), f"{where} {media}"
                )
            for name, example in examples.items():
                example, epointer = self.resolver.follow(example, join_pointer(mpointer, "examples", name))
                if "value" in example and schema_pointer:
                    self._validate(
                        example["value"],
                        schema_pointer,
                        join_pointer(epointer, "value"),
                        f"{where} {media} example {name!r}",
                    )
                elif "value" not in example and "externalValue" not in example:
                    self.report(
                        epointer,
                        "example-missing",
                        f"{where} {media} example {name!r} has neither value nor externalValue",
                    )

    def _validate(self, value: Any, schema_pointer: str, at: str, what: str) -> None:
        if value is None and not self._nullable(schema_pointer):
            self.report(at, "example-invalid", f"{what}: the example is empty (null)")
            return
        from openapi_schema_validator import OAS30Validator, oas30_format_checker

        validator = OAS30Validator(
            {"$ref": "urn:spec#" + schema_pointer},
            registry=self.registry,
            format_checker=oas30_format_checker,
        )
        for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
            inner = "/".join(map(str, error.absolute_path))
            self.report(
                at,
                "example-invalid",
                f"{what}: {'at ' + inner + ': ' if inner else ''}{_shorten(error.message, 200)}",
            )

    def _nullable(self, schema_pointer: str) -> bool:
        try:
            schema = self.resolver.deref(resolve_pointer(self.document, schema_pointer))
        except KeyError:
            return False
        return isinstance(schema, dict) and schema.get("nullable") is True
