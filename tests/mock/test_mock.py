"""The mock service: answers from the spec's examples, with negotiation, multipart bodies, 304 and 501."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.testclient import TestClient

from dicom_service.versioning.versions import ServiceVersion, Versions, api_version
from dicom_service.web import multipart
from dicom_service.web.context import OperationContext
from dicom_service.web.contracts import Contract, ExampleBody, MockAnswer
from dicom_service.web.mediatypes import Representation
from dicom_service.web.routing import OperationRoute, versioned_routes

VERSIONS = Versions([ServiceVersion("2", ("v2",), prerelease=False, deprecated=False)], "https://docs.test/p")
DICOM = 'multipart/related; type="application/dicom"'
ETAG = '"a1b2"'


@api_version("2")
async def from_examples(ctx: OperationContext) -> Response:
    return await ctx.answer_from_examples()


def contract(operation_id: str, offers: tuple[Representation, ...], mock: MockAnswer | None) -> Contract:
    return Contract(
        operation_id=operation_id,
        handler=operation_id.lower(),
        parameters=(),
        body_required=False,
        body_media_types=(),
        offers=offers,
        accept_required=False,
        mock=mock,
    )


CONTRACTS = {
    "2": {
        "metadata": contract(
            "metadata",
            (Representation("application/dicom+json"),),
            MockAnswer(
                200,
                (("ETag", ETAG),),
                {"application/dicom+json": ExampleBody(json=[{"00100020": {"vr": "LO", "Value": ["P1"]}}])},
                not_modified=True,
            ),
        ),
        "instance": contract(
            "instance",
            (Representation(DICOM, ("*", "1.2.840.10008.1.2.1"), "1.2.840.10008.1.2.1"),),
            MockAnswer(
                200,
                (),
                {DICOM: ExampleBody(file="examples/instance.dcm", part_type="application/dicom")},
                False,
            ),
        ),
        "noExample": contract("noExample", (Representation("application/json"),), None),
        "deleted": contract("deleted", (), MockAnswer(204, (), {}, False)),
    }
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    table = [
        OperationRoute(op_id, "GET", f"/{op_id}", from_examples)
        for op_id in ("metadata", "instance", "noExample")
    ] + [OperationRoute("deleted", "DELETE", "/deleted", from_examples)]
    return TestClient(Starlette(routes=versioned_routes(table, VERSIONS, CONTRACTS)))


def test_answers_the_json_example_with_its_headers(client: TestClient) -> None:
    response = client.get("/v2/metadata", headers={"Accept": "application/dicom+json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/dicom+json"
    assert response.headers["etag"] == ETAG
    assert response.json() == [{"00100020": {"vr": "LO", "Value": ["P1"]}}]


def test_a_matching_if_none_match_is_a_304_without_body(client: TestClient) -> None:
    response = client.get("/v2/metadata", headers={"Accept": "application/dicom+json", "If-None-Match": ETAG})
    assert response.status_code == 304
    assert response.content == b""


def test_an_unacceptable_accept_is_a_406_naming_what_is_available(client: TestClient) -> None:
    response = client.get("/v2/metadata", headers={"Accept": "application/json"})
    assert response.status_code == 406
    assert "application/dicom+json" in response.text


def test_binary_examples_are_sent_as_proper_multipart_bodies(client: TestClient) -> None:
    response = client.get("/v2/instance", headers={"Accept": f"{DICOM}; transfer-syntax=*"})
    assert response.status_code == 200
    content_type = response.headers["content-type"]
    assert content_type.startswith(f"{DICOM}; transfer-syntax=*; boundary=")
    parts = multipart.parse(content_type, response.content)
    assert [p.content_type for p in parts] == ["application/dicom; transfer-syntax=*"]
    assert parts[0].body[128:132] == b"DICM"


def test_a_transfer_syntax_the_operation_does_not_offer_is_a_406(client: TestClient) -> None:
    response = client.get(
        "/v2/instance", headers={"Accept": f"{DICOM}; transfer-syntax=1.2.840.10008.1.2.4.50"}
    )
    assert response.status_code == 406


def test_no_implementation_and_no_example_is_a_501_that_says_what_to_do(client: TestClient) -> None:
    response = client.get("/v2/noExample", headers={"Accept": "application/json"})
    assert response.status_code == 501
    assert "noExample" in response.text and "dicom_service/handlers/noexample.py" in response.text
    assert response.headers["api-supported-versions"] == "2"


def test_an_answer_without_content_is_just_its_status(client: TestClient) -> None:
    response = client.delete("/v2/deleted")
    assert response.status_code == 204
    assert response.content == b""
