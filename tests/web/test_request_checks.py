"""Requests are checked against the operation's contract before a handler runs (mock and service alike).

Integer formats bound parameters exactly, JSON bodies are checked against their schema (DICOM JSON's tag
keys included) with a 400 naming the JSON pointer and the rule, and a handler that raises answers a short
500 with a request id that is also in the log.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.testclient import TestClient

from dicom_service.app import create_app
from dicom_service.versioning.versions import ServiceVersion, Versions, api_version
from dicom_service.web.context import OperationContext
from dicom_service.web.contracts import Contract
from dicom_service.web.routing import OperationRoute, versioned_routes
from generator.render.body_schemas import body_schema
from tests.fixtures import supported_versions_header

DICOM_JSON = "application/dicom+json"
WORKITEM = [{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]}, "00741000": {"vr": "CS"}}]


@pytest.fixture(scope="module")
def mock() -> TestClient:
    return TestClient(create_app(mock=True))


# --- parameters: integer formats are exact bounds --------------------------------------------------


def test_an_int32_parameter_beyond_its_range_is_a_400_naming_it(mock: TestClient) -> None:
    response = mock.get("/v2/studies?offset=2147483648", headers={"Accept": DICOM_JSON})
    assert response.status_code == 400
    assert response.text == (
        "The query parameter 'offset' is invalid: 2147483648 is out of range for a 32-bit integer "
        "(-2147483648 to 2147483647)."
    )
    assert mock.get("/v2/studies?offset=2147483647", headers={"Accept": DICOM_JSON}).status_code == 200


def test_a_declared_range_is_reported_before_the_format_range(mock: TestClient) -> None:
    response = mock.get("/v2/studies?limit=99999999999", headers={"Accept": DICOM_JSON})
    assert response.text == "The query parameter 'limit' is invalid. The value must be between 1 and 200."


def test_an_int32_path_parameter_is_bounded_too(mock: TestClient) -> None:
    path = "/v2/studies/1.2/series/1.2.3/instances/1.2.3.4/frames/2147483648/rendered"
    response = mock.get(path)
    assert response.status_code == 400 and "'frame'" in response.text and "32-bit" in response.text


def test_a_19_digit_int64_change_feed_offset_is_accepted(mock: TestClient) -> None:
    assert mock.get("/v2/changefeed?offset=9223372036854775807").status_code == 200
    refused = mock.get("/v2/changefeed?offset=9223372036854775808")
    assert refused.status_code == 400 and "64-bit integer" in refused.text


def test_a_date_attribute_takes_real_calendar_dates_or_ranges(mock: TestClient) -> None:
    headers = {"Accept": DICOM_JSON}
    for good in ("20240229", "20240101-20241231", "20240101-", "-20241231"):
        assert mock.get("/v2/studies", params={"StudyDate": good}, headers=headers).status_code == 200, good
    for bad in ("20230229", "2024-01-01", "-", "20241301-"):
        response = mock.get("/v2/studies", params={"StudyDate": bad}, headers=headers)
        assert response.status_code == 400 and "'StudyDate'" in response.text, bad


def test_a_worklist_date_time_range_takes_dicom_date_times(mock: TestClient) -> None:
    headers = {"Accept": DICOM_JSON}
    name = "ScheduledProcedureStepStartDateTime"
    for good in ("2024", "20240101080000.123456", "20240101-20240102", "20240101-", "-202401011200"):
        assert mock.get("/v2/workitems", params={name: good}, headers=headers).status_code == 200, good
    for bad in ("-", "2024-01-01", "20240101080000+0100", "202401010800001"):
        response = mock.get("/v2/workitems", params={name: bad}, headers=headers)
        assert response.status_code == 400 and "not a date-time" in response.text, bad


def test_a_worklist_search_value_is_1_to_64_characters(mock: TestClient) -> None:
    headers = {"Accept": DICOM_JSON}
    assert mock.get("/v2/workitems", params={"PatientID": "P" * 64}, headers=headers).status_code == 200
    response = mock.get("/v2/workitems", params={"PatientID": "P" * 65}, headers=headers)
    assert response.status_code == 400 and "longer than 64" in response.text


def test_a_workitem_uid_in_the_path_is_a_uid(mock: TestClient) -> None:
    headers = {"Accept": DICOM_JSON}
    assert mock.get("/v2/workitems/1.2.826.0.1.3680043.8.498.2", headers=headers).status_code == 200
    for bad in ("W", "1.2.x", "1." + "2" * 64):
        response = mock.get(f"/v2/workitems/{bad}", headers=headers)
        assert response.status_code == 400 and "'workitemInstanceUid'" in response.text, bad


def test_an_extended_query_tag_path_is_a_tag_or_a_dictionary_keyword(mock: TestClient) -> None:
    for good in ("00100040", "PatientSex"):
        assert mock.get(f"/v2/extendedquerytags/{good}").status_code == 200, good
    for bad in ("0", "NotAKeyword", "0010004"):
        response = mock.get(f"/v2/extendedquerytags/{bad}")
        assert response.status_code == 400 and "not a known attribute keyword or tag" in response.text, bad


def test_a_query_with_an_angle_bracket_is_a_400_on_every_operation(mock: TestClient) -> None:
    for path in ("/v2/studies?PatientID=a%3Cb", "/v2/changefeed?x=<", "/v2/operations/" + "0" * 32 + "?a<b"):
        response = mock.get(path, headers={"Accept": DICOM_JSON})
        assert response.status_code == 400, path
        assert response.text == "The query string contains '<', which is not allowed."


# --- JSON bodies: checked against the schema, faults named by JSON pointer and rule ----------------


def test_a_valid_json_body_reaches_the_operation(mock: TestClient) -> None:
    body = [{"path": "00100040", "vr": "CS", "level": "study"}]
    assert mock.post("/v2/extendedquerytags", json=body).status_code == 202


def test_a_body_breaking_its_schema_is_a_400_naming_pointer_and_rule(mock: TestClient) -> None:
    response = mock.post("/v2/extendedquerytags", json=[{"path": "00100040", "level": "patient"}])
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("The request body does not match the application/json schema:\n")
    assert '- at /0/level (enum): "patient" is not one of' in response.text
    assert response.headers["api-supported-versions"] == supported_versions_header()


def test_a_wrong_type_deep_in_a_body_is_named_by_its_pointer(mock: TestClient) -> None:
    body = {
        "source": {"type": "identifiers", "settings": {"values": ["1.2.3"]}},
        "destination": {
            "type": "azureBlob",
            "settings": {"blobContainerUri": "https://x", "useManagedIdentity": 1},
        },
    }
    response = mock.post("/v2/export", json=body)
    assert response.status_code == 400
    assert '- at /destination/settings/useManagedIdentity (type): 1 is not of type "boolean"' in response.text


def test_a_body_that_is_not_json_is_a_400(mock: TestClient) -> None:
    response = mock.post(
        "/v2/extendedquerytags", content=b"\x00\xff garbage", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.text.startswith("The request body is not valid JSON")
    response = mock.post("/v2/extendedquerytags", content=b"[{", headers={"Content-Type": "application/json"})
    assert response.text == (
        "The request body is not valid JSON: "
        "Expecting property name enclosed in double quotes (line 1, column 3)."
    )


def test_an_empty_required_json_body_is_a_400(mock: TestClient) -> None:
    response = mock.post("/v2/extendedquerytags", content=b"", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.text == "The request body is empty; a application/json body is required."


def test_dicom_json_keys_must_be_tags(mock: TestClient) -> None:
    headers = {"Content-Type": DICOM_JSON, "Accept": DICOM_JSON}
    assert mock.post("/v2/workitems", content=json.dumps(WORKITEM), headers=headers).status_code == 201
    bad = [{"PatientName": {"vr": "PN"}}]
    response = mock.post("/v2/workitems", content=json.dumps(bad), headers=headers)
    assert response.status_code == 400
    assert '- at /0 (propertyNames): "PatientName" does not match "^[0-9A-F]{8}$"' in response.text


def test_dicom_json_value_representations_are_checked(mock: TestClient) -> None:
    headers = {"Content-Type": DICOM_JSON, "Accept": DICOM_JSON}
    bad = [{"00100010": {"vr": "XX"}}]
    response = mock.post("/v2/workitems", content=json.dumps(bad), headers=headers)
    assert response.status_code == 400 and "- at /0/00100010/vr (enum):" in response.text


def test_a_body_with_many_problems_lists_the_first_five() -> None:
    from dicom_service.web.body_validation import BodyError, compile_validators

    validator = compile_validators({"application/json": {"type": "array", "items": {"type": "string"}}}, {})
    with pytest.raises(BodyError) as raised:
        validator["application/json"].check(b"[1, 2, 3, 4, 5, 6, 7]")
    lines = str(raised.value).splitlines()
    assert lines[1:] == [
        *(f'- at /{i} (type): {i + 1} is not of type "string"' for i in range(5)),
        "… and 2 more.",
    ]


# --- the generator's conversion of OpenAPI 3.0 schemas ---------------------------------------------


def test_openapi_idioms_become_json_schema() -> None:
    components = {"Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}}
    converted = body_schema(
        {
            "type": "object",
            "description": "dropped",
            "x-property-names": {"pattern": "^[a-z]+$"},
            "properties": {
                "count": {"type": "integer", "format": "int32", "minimum": 0, "example": 3},
                "note": {"type": "string", "nullable": True},
                "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                "node": {"$ref": "#/components/schemas/Node"},
            },
        },
        components,
    )
    assert converted == {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "count": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
            "note": {"type": ["string", "null"]},
            "ratio": {"type": "number", "exclusiveMinimum": 0},
            "node": {"$ref": "#/$defs/Node"},
        },
        "propertyNames": {"pattern": "^[a-z]+$"},
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
    }


# --- a handler that raises -------------------------------------------------------------------------

VERSIONS = Versions([ServiceVersion("2", ("v2",), prerelease=False, deprecated=False)], "https://docs.test/p")


@api_version("2")
async def broken(ctx: OperationContext) -> Response:
    raise RuntimeError("secret detail from deep inside")


@api_version("2")
async def echo(ctx: OperationContext) -> Response:
    return JSONResponse({"read_again": await ctx.request.json()})


def _contract(operation_id: str, **kwargs: Any) -> Contract:
    defaults: dict[str, Any] = dict(
        operation_id=operation_id,
        handler=operation_id,
        parameters=(),
        body_required=False,
        body_media_types=(),
        offers=(),
        accept_required=False,
        mock=None,
    )
    return Contract(**{**defaults, **kwargs})


@pytest.fixture(scope="module")
def service() -> TestClient:
    schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    contracts = {
        "2": {
            "broken": _contract("broken"),
            "echo": _contract(
                "echo",
                body_required=True,
                body_media_types=("application/json",),
                body_schemas={"application/json": schema},
            ),
        }
    }
    table = [
        OperationRoute("broken", "GET", "/broken", broken),
        OperationRoute("echo", "POST", "/echo", echo),
    ]
    return TestClient(
        Starlette(routes=versioned_routes(table, VERSIONS, contracts)), raise_server_exceptions=False
    )


def test_a_handler_that_raises_answers_500_with_a_request_id(
    service: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="dicom_service"):
        response = service.get("/v2/broken")
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.text == f"An internal error occurred. Request id: {request_id}."
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["api-supported-versions"] == "2"
    [record] = [r for r in caplog.records if request_id in r.getMessage()]
    assert "GET /v2/broken" in record.getMessage() and record.exc_info is not None


def test_each_failure_has_its_own_request_id(service: TestClient) -> None:
    ids = {service.get("/v2/broken").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


def test_a_checked_json_body_is_still_readable_by_the_handler(service: TestClient) -> None:
    assert service.post("/v2/echo", json={"name": "x"}).json() == {"read_again": {"name": "x"}}
    assert service.post("/v2/echo", json={}).text.endswith('- at / (required): "name" is a required property')


def test_a_deeply_nested_json_body_is_a_400_not_a_500(mock: TestClient) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = mock.post("/v2/extendedquerytags", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.text == "The request body is nested too deeply."
