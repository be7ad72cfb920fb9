"""The project's own conventions on one version's bundled document: it matches the registry, paths carry no
version, operations have a lowerCamelCase operationId, one tag and their docs, every response declares the
versioning headers, DICOM attributes are well formed; partition twins and security have modules of their own.

OpenAPI validity is checked in `openapi_rules`, examples in `example_rules`; all of them report through
`reporter`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from dicom_service.versioning.apiversion import ApiVersion
from generator.diagnostics import Diagnostics, join_pointer
from generator.model import HTTP_METHODS, PARTITION_PREFIX, PARTITION_SUFFIX
from generator.partition_rules import check_twins
from generator.refs import Bundle, Resolver
from generator.registry import Version
from generator.security_rules import check_security

VERSION_HEADER = "api-supported-versions"
DEPRECATED_HEADER = "api-deprecated-versions"
_OPERATION_ID = re.compile(r"^[a-z][A-Za-z0-9]*$")
_TAG = re.compile(r"^[0-9A-Fa-f]{8}$")
_VR = re.compile(r"^[A-Z]{2}$")
MATCHING = {"exact", "range", "fuzzy", "sequence"}

Report = Callable[[str, str, str], None]


def reporter(bundle: Bundle, diagnostics: Diagnostics) -> Report:
    def report(pointer: str, code: str, message: str) -> None:
        file, line = bundle.locate(pointer)
        diagnostics.add(file, pointer, code, message, line)

    return report


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
