"""The versioning runtime on its own: version resolution, the 400/404 rules, and the headers it reports."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.testclient import TestClient

from dicom_service.versioning.apiversion import ApiVersion
from dicom_service.versioning.versions import Declared, ServiceVersion, VersionHeaders, Versions, api_version
from dicom_service.web.context import OperationContext
from dicom_service.web.contracts import Contract
from dicom_service.web.routing import OperationRoute, versioned_routes

VERSIONS = Versions(
    [
        ServiceVersion(
            "1.0-prerelease",
            ("v1.0-prerelease", "v1-prerelease"),
            prerelease=True,
            deprecated=True,
            deprecation=dt.date(2023, 6, 30),
            sunset=dt.date(2027, 6, 30),
        ),
        ServiceVersion("1", ("v1", "v1.0"), prerelease=False, deprecated=False),
        ServiceVersion("2", ("v2", "v2.0"), prerelease=False, deprecated=False),
    ],
    "https://docs.example.test/versioning-policy.html",
)


@api_version("1.0-prerelease", deprecated=True)
@api_version("1")
@api_version("2")
async def search_studies(ctx: OperationContext) -> Response:
    return JSONResponse({"version": ctx.version.name, "limit": ctx.params.get("limit")})


@api_version("1")
@api_version("2")
async def start_export(ctx: OperationContext) -> Response:
    return Response(status_code=202)


def contract(operation_id: str, **kwargs: object) -> Contract:
    defaults: dict[str, object] = dict(
        operation_id=operation_id,
        handler=operation_id,
        parameters=(),
        body_required=False,
        body_media_types=(),
        offers=(),
        accept_required=False,
        mock=None,
    )
    return Contract(**{**defaults, **kwargs})  # type: ignore[arg-type]


LIMIT = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 100},
}
CONTRACTS = {
    version: {
        "searchStudies": contract("searchStudies", parameters=(LIMIT,)),
        "startExport": contract("startExport"),
    }
    for version in ("1.0-prerelease", "1", "2")
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    table = [
        OperationRoute("searchStudies", "GET", "/studies", search_studies),
        OperationRoute("startExport", "POST", "/export", start_export),
    ]
    app = Starlette(routes=versioned_routes(table, VERSIONS, CONTRACTS))
    return TestClient(app)


def test_annotations_keep_the_order_they_are_written_in() -> None:
    assert search_studies.__api_versions__ == [  # type: ignore[attr-defined]
        Declared("1.0-prerelease", deprecated=True),
        Declared("1"),
        Declared("2"),
    ]


def test_a_typo_in_an_annotation_fails_at_import_time() -> None:
    with pytest.raises(ValueError, match="'v2' is not an API version"):
        api_version("v2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", (1, 0, None)),
        ("1.0", (1, 0, None)),
        ("1.0-PreRelease", (1, 0, "prerelease")),
        ("2.1", (2, 1, None)),
    ],
)
def test_versions_parse_with_an_implied_minor_and_any_case(
    text: str, expected: tuple[int, int, str | None]
) -> None:
    assert ApiVersion.parse(text) == ApiVersion(*expected)


def test_a_prerelease_sorts_before_its_release() -> None:
    ordered = sorted(["2", "1", "1.0-prerelease"], key=lambda v: ApiVersion.parse(v).sort_key)  # type: ignore[union-attr]
    assert ordered == ["1.0-prerelease", "1", "2"]


def test_headers_list_supported_and_deprecated_versions_as_declared() -> None:
    headers = VersionHeaders.of([Declared("2"), Declared("1.0-prerelease", True), Declared("1")])
    assert headers.items() == [
        ("api-supported-versions", "1, 2"),
        ("api-deprecated-versions", "1.0-prerelease"),
    ]
    assert VersionHeaders.of([Declared("1"), Declared("2")]).items() == [("api-supported-versions", "1, 2")]


def test_a_supported_version_answers_with_the_headers(client: TestClient) -> None:
    response = client.get("/v2/studies")
    assert response.status_code == 200
    assert response.json()["version"] == "2"
    assert response.headers["api-supported-versions"] == "1, 2"
    assert response.headers["api-deprecated-versions"] == "1.0-prerelease"
    assert "deprecation" not in response.headers and "sunset" not in response.headers


def test_an_endpoint_without_deprecated_versions_sends_no_deprecated_header(client: TestClient) -> None:
    response = client.post("/v2/export")
    assert response.status_code == 202
    assert response.headers["api-supported-versions"] == "1, 2"
    assert "api-deprecated-versions" not in response.headers


@pytest.mark.parametrize(
    ("segment", "version"),
    [
        ("v1", "1"),
        ("v1.0", "1"),
        ("V1.0", "1"),
        ("v2.0", "2"),
        ("v1-prerelease", "1.0-prerelease"),
        ("v1.0-prerelease", "1.0-prerelease"),
        ("V1.0-PRERELEASE", "1.0-prerelease"),
        ("v2.00", "2"),
    ],
)
def test_aliases_name_the_same_version(client: TestClient, segment: str, version: str) -> None:
    response = client.get(f"/{segment}/studies")
    assert response.status_code == 200
    assert response.json()["version"] == version


def test_a_deprecated_version_still_works_and_says_so(client: TestClient) -> None:
    response = client.get("/v1.0-prerelease/studies")
    assert response.status_code == 200
    assert response.headers["api-deprecated-versions"] == "1.0-prerelease"
    assert response.headers["deprecation"] == "@1688083200"  # 2023-06-30T00:00:00Z
    assert response.headers["sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert (
        response.headers["link"]
        == '<https://docs.example.test/versioning-policy.html>; rel="deprecation"; type="text/html"'
    )


def test_a_route_without_a_version_is_not_found(client: TestClient) -> None:
    response = client.get("/studies")
    assert response.status_code == 404
    assert "api-supported-versions" not in response.headers


def test_an_unparseable_version_segment_is_not_found(client: TestClient) -> None:
    response = client.get("/vfoo/studies")
    assert response.status_code == 404
    assert "api-supported-versions" not in response.headers


def test_an_unsupported_version_is_a_400_with_the_version_error_body(client: TestClient) -> None:
    response = client.get("/v3/studies")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.text.startswith('{"error":{"code":"UnsupportedApiVersion"')  # clients match this prefix
    assert response.json() == {
        "error": {
            "code": "UnsupportedApiVersion",
            "message": "The HTTP resource that matches the request URI 'http://testserver/v3/studies' "
            "does not support the API version '3'.",
        }
    }
    assert response.headers["api-supported-versions"] == "1, 2"
    assert response.headers["api-deprecated-versions"] == "1.0-prerelease"


def test_a_known_version_without_the_operation_is_a_400(client: TestClient) -> None:
    response = client.post("/v1.0-prerelease/export")
    assert response.status_code == 400
    assert json.loads(response.content)["error"]["code"] == "UnsupportedApiVersion"
    assert response.headers["api-supported-versions"] == "1, 2"


def test_a_wrong_method_is_a_405_with_the_headers(client: TestClient) -> None:
    response = client.delete("/v2/studies")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.headers["api-supported-versions"] == "1, 2"


def test_bad_parameters_are_a_400_that_names_the_fault(client: TestClient) -> None:
    response = client.get("/v2/studies", params={"limit": "500"})
    assert response.status_code == 400
    assert response.text == "The query parameter 'limit' is invalid. The value must be between 1 and 200."
    assert response.headers["api-supported-versions"] == "1, 2"
    assert client.get("/v2/studies", params={"LIMIT": "abc"}).text.endswith("'abc' is not an integer.")
    twice = client.get("/v2/studies?limit=1&limit=2")
    assert twice.status_code == 400 and "at most once" in twice.text


def test_parameter_defaults_reach_the_handler(client: TestClient) -> None:
    assert client.get("/v2/studies").json()["limit"] == 100
    assert client.get("/v2/studies?Limit=7").json()["limit"] == 7


def test_a_query_with_an_angle_bracket_is_refused(client: TestClient) -> None:
    assert client.get("/v2/studies?PatientName=%3Cscript%3E").status_code == 400
