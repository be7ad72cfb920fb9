"""Examples of one version's bundled document: every request and response media type has one, valid against
its schema, and so are the examples of parameters and headers."""

from __future__ import annotations

import re
from typing import Any

from generator.diagnostics import join_pointer, shorten
from generator.refs import Bundle, Resolver, resolve_pointer
from generator.rules import Report, iter_operations

_UID = re.compile(r"^(\*|[0-9]+(\.[0-9]+)*)$")


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
                f"{what}: {'at ' + inner + ': ' if inner else ''}{shorten(error.message, 200)}",
            )

    def _nullable(self, schema_pointer: str) -> bool:
        try:
            schema = self.resolver.deref(resolve_pointer(self.document, schema_pointer))
        except KeyError:
            return False
        return isinstance(schema, dict) and schema.get("nullable") is True
