"""Every operation of every version, through the generated application, validated by openapi-core."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache

import pytest
from starlette.testclient import TestClient

from dicom_service.app import create_app
from dicom_service.versioning.versions import Declared, VersionHeaders
from generator.model import ApiModel, ApiSpec, Endpoint, Operation
from tests.contract import SpecValidator, exchange, expected_answer
from tests.fixtures import ROOT, parse_yaml, real_model


def model() -> ApiModel:
    return real_model()


@cache
def validator(version: str) -> SpecValidator:
    return SpecValidator(model().spec(version))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(mock=True)) as client:
        yield client


def operations() -> list[tuple[ApiSpec, Operation]]:
    return [(spec, op) for spec in model().specs.values() for op in spec.operations]


def endpoint_of(op: Operation) -> Endpoint:
    return next(e for e in model().endpoints if e.method == op.method and e.path == op.path)


def expected_headers(op: Operation) -> VersionHeaders:
    registry = model().registry
    return VersionHeaders.of(
        Declared(name, registry.get(name).deprecated) for name in endpoint_of(op).versions
    )


CASES = [pytest.param(spec, op, id=f"{spec.version.name}-{op.operation_id}") for spec, op in operations()]


@pytest.mark.parametrize(("spec", "op"), CASES)
def test_every_operation_answers_within_its_contract(
    client: TestClient, spec: ApiSpec, op: Operation
) -> None:
    sent = exchange(spec, op, model())
    response = client.request(sent.method, sent.url, headers=sent.headers, content=sent.body)
    answer = expected_answer(op)
    assert answer is not None, f"{op.operation_id} documents no response the service gives"
    assert response.status_code == int(answer.status), response.text[:500]
    validator(spec.version.name).validate(op, sent, response.status_code, response.headers, response.content)
    headers = expected_headers(op)
    assert response.headers["api-supported-versions"] == headers.supported
    assert response.headers.get("api-deprecated-versions", "") == headers.deprecated


@pytest.mark.parametrize(("spec", "op"), CASES)
def test_hostile_parameter_values_get_a_documented_4xx_never_a_500(
    client: TestClient, spec: ApiSpec, op: Operation
) -> None:
    sent = exchange(spec, op, model())
    for parameter in op.parameters:
        if parameter.location == "path":
            continue  # any text is a syntactically valid UID to the mock; checked by handlers
        for hostile in ["not-a-value", "-1", "99999999999999999999", "", "1e309"]:
            target = sent.query if parameter.location == "query" else sent.headers
            tried = {**target, parameter.name: hostile}
            query = tried if parameter.location == "query" else sent.query
            headers = tried if parameter.location == "header" else sent.headers
            response = client.request(
                sent.method, sent.path, params=query, headers=headers, content=sent.body
            )
            assert response.status_code < 500, f"{parameter.name}={hostile!r}: {response.status_code}"
            assert str(response.status_code) in {r.status for r in op.responses}, (
                f"{parameter.name}={hostile!r} got undocumented {response.status_code}: {response.text[:200]}"
            )


def bounded_query_parameters() -> list[object]:
    cases = []
    for spec, op in operations():
        for parameter in op.parameters:
            if parameter.location == "query" and "maximum" in parameter.schema:
                case_id = f"{spec.version.name}-{op.operation_id}-{parameter.name}"
                cases.append(pytest.param(spec, op, parameter.name, parameter.schema["maximum"], id=case_id))
    return cases


@pytest.mark.parametrize(("spec", "op", "name", "maximum"), bounded_query_parameters())
def test_out_of_range_parameters_are_a_documented_400(
    client: TestClient, spec: ApiSpec, op: Operation, name: str, maximum: int
) -> None:
    sent = exchange(spec, op, model())
    sent.query[name] = str(maximum + 1)
    response = client.request(sent.method, sent.url, headers=sent.headers, content=sent.body)
    assert response.status_code == 400
    assert name in response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["api-supported-versions"] == expected_headers(op).supported


def test_an_unsupported_version_gets_the_documented_version_error_on_every_path(client: TestClient) -> None:
    registry = model().registry
    newest = registry.versions[-1]
    spec = model().spec(newest.name)
    unknown = registry.unknown_version  # a version the registry has never had
    checked = 0
    for op in spec.operations:
        sent = exchange(spec, op, model())
        response = client.request(
            sent.method,
            sent.url.replace(f"/{newest.segment}/", f"/{unknown}/", 1),
            headers=sent.headers,
            content=sent.body,
        )
        assert response.status_code == 400, op.operation_id
        assert response.json()["error"]["code"] == "UnsupportedApiVersion"
        # The body is the application/json 400 documented by the operation.
        validator(newest.name).validate(op, sent, 400, response.headers, response.content)
        checked += 1
    assert checked == len(spec.operations)


def test_a_version_without_the_operation_answers_the_version_error(client: TestClient) -> None:
    """Export came with version 1: the older versions (served or retired) answer it with the version error."""
    registry = model().registry
    export = next(e for e in model().endpoints if e.method == "post" and e.path == "/export")
    first = model().registry.get(export.versions[0])
    older = [v for v in (*registry.retired, *registry.versions) if v.number.sort_key < first.number.sort_key]
    assert older, "no version before the one export came with"
    for version in older:
        response = client.post(f"/{version.segment}/export", json={})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "UnsupportedApiVersion"
        headers = expected_headers(export.latest)
        assert response.headers["api-supported-versions"] == headers.supported
        assert response.headers.get("api-deprecated-versions", "") == headers.deprecated


def test_a_wrong_method_is_405_on_every_path(client: TestClient) -> None:
    for endpoint in model().endpoints:
        methods = {e.method for e in model().endpoints if e.path == endpoint.path}
        wrong = next(m for m in ("patch", "put", "delete", "post", "get") if m not in methods)
        version = model().registry.get(endpoint.versions[-1]).segment
        response = client.request(wrong.upper(), f"/{version}{endpoint.path}")
        assert response.status_code == 405, endpoint.path
        assert "api-supported-versions" in response.headers


def test_operations_that_need_an_accept_header_answer_406_without_one(client: TestClient) -> None:
    guarded = [(s, op) for s, op in operations() if op.extensions.get("x-accept-required")]
    assert guarded
    del client.headers["accept"]  # the test client adds `Accept: */*` unless told otherwise
    for spec, op in guarded:
        sent = exchange(spec, op, model())
        headers = {k: v for k, v in sent.headers.items() if k != "Accept"}
        response = client.request(sent.method, sent.url, headers=headers, content=sent.body)
        assert response.status_code == 406, op.operation_id
        assert "406" in {r.status for r in op.responses}, f"{op.operation_id} does not document its 406"
    client.headers["accept"] = "*/*"


def every_spelling() -> list[str]:
    """Every URL segment of every served version, and each in upper case (the registry's spellings)."""
    segments = [s for v in model().registry.versions for s in v.url_segments]
    return [*segments, *(s.upper() for s in segments)]


@cache
def parsed(document: bytes) -> object:
    """Every alias of a version serves the same bytes: each distinct document is parsed once."""
    return parse_yaml(document)


@pytest.mark.parametrize("segment", every_spelling())
def test_each_versions_document_is_served_for_every_alias(client: TestClient, segment: str) -> None:
    registry = model().registry
    version = next(v for v in registry.versions if segment.lower() in {s.lower() for s in v.url_segments})
    as_yaml = client.get(f"/{segment}/api.yaml")
    as_json = client.get(f"/{segment}/api.json")
    assert as_yaml.status_code == as_json.status_code == 200
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    served = parsed(as_yaml.content)
    assert served == json.loads(as_json.text) == model().spec(version.name).document
    assert served["servers"] == [{"url": f"/{version.segment}"}]  # relative: resolves against the service


def test_an_unknown_or_retired_versions_document_is_not_found(client: TestClient) -> None:
    registry = model().registry
    for segment in [registry.unknown_version, *(v.segment for v in registry.retired)]:
        assert client.get(f"/{segment}/api.yaml").status_code == 404
    assert client.get("/v2/api.xml").status_code == 404


def test_the_policy_pages_example_response_is_what_the_service_sends(client: TestClient) -> None:
    from generator.render.docs import example_exchange

    example = example_exchange(model())
    response = client.request(example.method, example.path, headers=dict(example.request_headers))
    assert response.status_code == example.status
    versioning = {"api-supported-versions", "api-deprecated-versions", "deprecation", "sunset", "link"}
    sent = {k: v for k, v in response.headers.items() if k in versioning}
    assert sent == {k.lower(): v for k, v in example.headers}
    snippet = (ROOT / "site" / "snippets" / "example-response.md").read_text()
    for name, value in example.headers:
        assert f"{name}: {value}" in snippet
