"""The contract validation treats a response object schema without `additionalProperties` as closed: a JSON
property its version's spec does not declare fails, while DICOM JSON data sets (keyed by tag) stay open."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

import pytest

from generator.model import Operation
from tests.contract import SpecValidator, closed, exchange
from tests.fixtures import real_model, supported_versions_header


def operation(version: str, operation_id: str) -> Operation:
    return next(o for o in real_model().spec(version).operations if o.operation_id == operation_id)


def example(op: Operation, status: str) -> Any:
    response = op.response(status)
    assert response is not None
    return copy.deepcopy(next(m for m in response.content if m.name == "application/json").examples[0].value)


@functools.cache
def validator(version: str) -> SpecValidator:
    return SpecValidator(real_model().spec(version))


def refused(version: str, op: Operation, status: int, body: Any) -> str:
    """The validation failure, with the schema errors openapi-core keeps in the exception's causes."""
    with pytest.raises(Exception) as raised:
        check(version, op, status, body)
    error: BaseException | None = raised.value
    words = []
    while error is not None:
        words.append(repr(error))
        error = error.__cause__ or error.__context__
    return " ".join(words)


def check(version: str, op: Operation, status: int, body: Any) -> None:
    spec = real_model().spec(version)
    headers = {"content-type": "application/json", "api-supported-versions": supported_versions_header()}
    documented = op.response(str(status))
    for header in documented.headers if documented else ():
        if header.required:
            headers.setdefault(header.name.lower(), str(header.example or "x"))
    validator(version).validate(
        op, exchange(spec, op, real_model()), status, headers, json.dumps(body).encode()
    )


def test_an_undeclared_property_in_a_v1_operation_status_fails() -> None:
    op = operation("1", "getOperation")
    body = example(op, "200")
    check("1", op, 200, body)  # as declared: passes
    body["errors"] = []  # a property version 1 does not declare
    assert "'errors' was unexpected" in refused("1", op, 200, body)


def test_an_undeclared_property_in_a_nested_object_or_an_error_body_fails() -> None:
    op = operation("1", "getChangeFeed")
    entries = example(op, "200")
    entries[0]["metadata"]["00100010"] = {"vr": "PN"}  # a data set is keyed by tag: any tag is fine
    check("1", op, 200, entries)
    entries[0]["sizeInBytes"] = 1024  # not in version 1's ChangeFeedEntry
    assert "'sizeInBytes' was unexpected" in refused("1", op, 200, entries)
    error = example(op, "400")
    error["error"]["target"] = "limit"
    assert "'target' was unexpected" in refused("1", op, 400, error)


def test_closing_leaves_the_document_as_it_was_and_keeps_declared_open_maps() -> None:
    document = real_model().spec("2").document
    before = json.dumps(document, sort_keys=True)
    result = closed(document)
    assert json.dumps(document, sort_keys=True) == before
    schemas = result["components"]["schemas"]
    assert schemas["OperationState"]["additionalProperties"] is False
    assert schemas["DicomJsonDataset"]["additionalProperties"] != False  # noqa: E712 (a schema, not False)
