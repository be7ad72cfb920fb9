"""The parts of a document the comparison walks (paths, operations, parameters, bodies, responses, content),
checked for the shape OpenAPI gives them: anything else is a located refusal, never a traceback later on.
Fields OpenAPI does not define on path items and operations, and path parameters used without being declared,
are warnings: the contract is read without them.
"""

from __future__ import annotations

import re
from typing import Any

from generator import refs
from generator.diagnostics import Diagnostics, join_pointer
from generator.model import HTTP_METHODS, ApiSpec
from generator.refs import Bundle
from generator.review.lines import Locator

WARNING = "warning"
_TEMPLATE = re.compile(r"\{([^}/]*)\}")
_OPERATION_FIELDS = frozenset(
    {"tags", "summary", "description", "externalDocs", "operationId", "parameters", "requestBody",
     "responses", "callbacks", "deprecated", "security", "servers"}
)  # fmt: skip
_PATH_ITEM_FIELDS = frozenset({"$ref", "summary", "description", "servers", "parameters", *HTTP_METHODS})


def check_shape(result: Bundle, diagnostics: Diagnostics, locate: Locator) -> None:
    """The parts the comparison walks must have OpenAPI's shape; anything else is a refusal, located."""
    document = result.document

    def refuse(pointer: str, message: str) -> None:
        file, line = locate(pointer)
        diagnostics.add(file, pointer, "review-shape", message, line)

    def follow(node: Any) -> Any:
        target, _, problem = refs.follow(document, node)
        return None if problem == "dangling" else target

    def mapping(node: Any, pointer: str, what: str) -> bool:
        if node is not None and not isinstance(follow(node), dict):
            refuse(pointer, f"{what} must be a mapping")
            return False
        return node is not None

    paths = document.get("paths")
    if paths is None:
        return
    if not mapping(paths, "/paths", "`paths`"):
        return
    for path, item in paths.items():
        ipointer = join_pointer("/paths", path)
        if not mapping(item, ipointer, f"path {path!r}"):
            continue
        item = follow(item)
        for key in item:
            if key not in _PATH_ITEM_FIELDS and not str(key).startswith("x-"):
                file, line = locate(join_pointer(ipointer, key))
                message = f"path {path}: unknown field {key!r} ignored"
                diagnostics.add(
                    file, join_pointer(ipointer, key), "review-unknown-field", message, line, WARNING
                )
        _parameters(item.get("parameters"), join_pointer(ipointer, "parameters"), follow, refuse)
        for method in HTTP_METHODS:
            if method not in item:
                continue
            opointer = join_pointer(ipointer, method)
            operation = item[method]
            if not isinstance(operation, dict):
                refuse(opointer, f"{method.upper()} {path} must be a mapping")
                continue
            for key in operation:
                if key not in _OPERATION_FIELDS and not str(key).startswith("x-"):
                    file, line = locate(join_pointer(opointer, key))
                    message = f"{method.upper()} {path}: unknown field {key!r} ignored"
                    diagnostics.add(
                        file, join_pointer(opointer, key), "review-unknown-field", message, line, WARNING
                    )
            _parameters(operation.get("parameters"), join_pointer(opointer, "parameters"), follow, refuse)
            body = operation.get("requestBody")
            if mapping(body, join_pointer(opointer, "requestBody"), "`requestBody`"):
                _content(follow(body), join_pointer(opointer, "requestBody"), mapping, follow)
            responses = operation.get("responses")
            if mapping(responses, join_pointer(opointer, "responses"), "`responses`"):
                for status, response in follow(responses).items():
                    rpointer = join_pointer(opointer, "responses", status)
                    if mapping(response, rpointer, f"response {status}"):
                        response = follow(response)
                        _content(response, rpointer, mapping, follow)
                        headers = response.get("headers")
                        if mapping(headers, join_pointer(rpointer, "headers"), "`headers`"):
                            for name, header in follow(headers).items():
                                mapping(header, join_pointer(rpointer, "headers", name), f"header {name!r}")


def _parameters(raw: Any, pointer: str, follow: Any, refuse: Any) -> None:
    if raw is None:
        return
    if not isinstance(raw, list):
        refuse(pointer, "`parameters` must be a list")
        return
    for i, parameter in enumerate(raw):
        if not isinstance(follow(parameter), dict):
            refuse(join_pointer(pointer, i), "a parameter must be a mapping")


def _content(holder: dict[str, Any], pointer: str, mapping: Any, follow: Any) -> None:
    content = holder.get("content")
    if mapping(content, join_pointer(pointer, "content"), "`content`"):
        for name, media in follow(content).items():
            mapping(media, join_pointer(pointer, "content", name), f"media type {name!r}")


def undeclared_path_parameters(spec: ApiSpec, diagnostics: Diagnostics, locate: Locator) -> None:
    for op in spec.operations:
        declared = {p.name for p in op.parameters if p.location == "path"}
        missing = [n for n in _TEMPLATE.findall(op.path) if n not in declared]
        if missing:
            file, line = locate(op.pointer)
            names = ", ".join(missing)
            diagnostics.add(
                file,
                op.pointer,
                "review-path-parameter",
                f"{op.method.upper()} {op.path}: path parameter(s) {names} used but not declared; "
                "compared by their place in the path",
                line,
                WARNING,
            )
