"""The real specs cover the real service's surface and do not repeat the upstream documents' mistakes."""

from __future__ import annotations

from typing import Any

import pytest

from dicom_service.versioning.apiversion import ApiVersion
from generator.model import ApiModel, Operation
from tests.fixtures import real_model


def model() -> ApiModel:
    return real_model()


def since(first: str) -> tuple[str, ...]:
    """The served versions from `first` on (all, once `first` is retired): an endpoint stays once added."""
    number = ApiVersion.parse(first)
    assert number is not None
    return tuple(v.name for v in model().registry.versions if v.number.sort_key >= number.sort_key)


ALL = since("1.0-prerelease")
RELEASED = since("1")

# The endpoint catalogue of the service (method, path relative to the version, partition twin?, versions),
# written from the facts about the real service, independently of the specs. The versions come from the
# registry, so adding, deprecating or retiring a version changes nothing here. When an endpoint is added or
# removed on purpose, add or change its row: `since("3")` for one that version 3 introduces.
CATALOGUE: list[tuple[str, str, bool, tuple[str, ...]]] = [
    ("POST", "/studies", True, ALL),
    ("POST", "/studies/{study}", True, ALL),
    ("GET", "/studies/{study}", True, ALL),
    ("GET", "/studies/{study}/series/{series}", True, ALL),
    ("GET", "/studies/{study}/series/{series}/instances/{instance}", True, ALL),
    ("GET", "/studies/{study}/metadata", True, ALL),
    ("GET", "/studies/{study}/series/{series}/metadata", True, ALL),
    ("GET", "/studies/{study}/series/{series}/instances/{instance}/metadata", True, ALL),
    ("GET", "/studies/{study}/series/{series}/instances/{instance}/frames/{frames}", True, ALL),
    ("GET", "/studies/{study}/series/{series}/instances/{instance}/rendered", True, ALL),
    ("GET", "/studies/{study}/series/{series}/instances/{instance}/frames/{frame}/rendered", True, ALL),
    ("GET", "/studies/{study}/rendered", True, RELEASED),
    ("GET", "/studies/{study}/series/{series}/rendered", True, RELEASED),
    ("GET", "/studies/{study}/thumbnail", True, RELEASED),
    ("GET", "/studies/{study}/series/{series}/thumbnail", True, RELEASED),
    ("GET", "/studies/{study}/series/{series}/instances/{instance}/thumbnail", True, RELEASED),
    ("GET", "/studies/{study}/series/{series}/instances/{instance}/bulkdata/{path}", True, RELEASED),
    ("GET", "/studies", True, ALL),
    ("GET", "/series", True, ALL),
    ("GET", "/studies/{study}/series", True, ALL),
    ("GET", "/instances", True, ALL),
    ("GET", "/studies/{study}/instances", True, ALL),
    ("GET", "/studies/{study}/series/{series}/instances", True, ALL),
    ("DELETE", "/studies/{study}", True, ALL),
    ("DELETE", "/studies/{study}/series/{series}", True, ALL),
    ("DELETE", "/studies/{study}/series/{series}/instances/{instance}", True, ALL),
    ("POST", "/studies/$bulkUpdate", True, ALL),
    ("POST", "/workitems", True, ALL),
    ("GET", "/workitems", True, ALL),
    ("GET", "/workitems/{workitem}", True, ALL),
    ("POST", "/workitems/{workitem}", True, ALL),
    ("PUT", "/workitems/{workitem}/state", True, ALL),
    ("POST", "/workitems/{workitem}/cancelrequest", True, ALL),
    ("POST", "/export", True, RELEASED),
    ("POST", "/extendedquerytags", False, ALL),
    ("GET", "/extendedquerytags", False, ALL),
    ("GET", "/extendedquerytags/{tag}", False, ALL),
    ("PATCH", "/extendedquerytags/{tag}", False, ALL),
    ("DELETE", "/extendedquerytags/{tag}", False, ALL),
    ("GET", "/extendedquerytags/{tag}/errors", False, ALL),
    ("GET", "/operations/{operation}", False, ALL),
    ("GET", "/changefeed", False, ALL),
    ("GET", "/changefeed/latest", False, ALL),
    ("GET", "/partitions", False, ALL),
]


def shape(path: str) -> str:
    """A path with its parameter names erased, so the catalogue does not depend on them."""
    return "/".join("{}" if part.startswith("{") else part for part in path.split("/"))


def expected(version: str) -> set[tuple[str, str]]:
    routes = set()
    for method, path, partitioned, versions in CATALOGUE:
        if version in versions:
            routes.add((method, shape(path)))
            if partitioned:
                routes.add((method, shape("/partitions/{partitionName}" + path)))
    return routes


def op(version: str, operation_id: str) -> Operation:
    """An operation of a version these facts are about; the test skips once that version is retired."""
    if version not in model().specs:
        pytest.skip(f"version {version} is no longer served")
    return model().spec(version).operation(operation_id)


@pytest.mark.parametrize("version", [v.name for v in model().registry.versions])
def test_each_version_has_exactly_the_services_operations(version: str) -> None:
    actual = {(o.method.upper(), shape(o.path)) for o in model().spec(version).operations}
    assert actual == expected(version)


def test_versions_in_the_model_follow_the_registry() -> None:
    assert list(model().specs) == [v.name for v in model().registry.versions] == list(ALL)
    export = next(e for e in model().endpoints if e.path == "/export")
    assert export.versions == RELEASED


def test_store_documents_its_request_body_and_media_types() -> None:
    for operation_id in ("storeInstances", "storeInstancesInStudy"):
        body = op("2", operation_id).request_body
        assert body is not None and body.required
        assert [m.name for m in body.content] == [
            "application/dicom",
            'multipart/related; type="application/dicom"',
        ]


def test_retrieve_documents_transfer_syntaxes_with_a_default() -> None:
    media = {m.name: m for m in op("2", "retrieveInstance").success.content}  # type: ignore[union-attr]
    multipart = media['multipart/related; type="application/dicom"']
    assert "*" in multipart.transfer_syntaxes and "1.2.840.10008.1.2.1" in multipart.transfer_syntaxes
    assert multipart.extensions["x-default-transfer-syntax"] == "1.2.840.10008.1.2.1"
    assert "application/dicom" in media


def test_errors_are_plain_text_and_the_version_error_is_json() -> None:
    for spec in model().specs.values():
        for operation in spec.operations:
            for response in operation.responses:
                types = {m.name for m in response.content}
                if response.status == "400":
                    assert "application/json" in types, operation.operation_id
                    version_error = next(m for m in response.content if m.name == "application/json")
                    assert version_error.schema and "error" in version_error.schema["properties"]
                elif response.status in ("404", "409", "415", "503") and types:
                    # A STOW 409 (nothing stored) is the DICOM JSON failure dataset, not an error text.
                    stow_failure = operation.tag == "STOW-RS" and response.status == "409"
                    expected = "application/dicom+json" if stow_failure else "text/plain"
                    assert types == {expected}, (operation.operation_id, response.status)


def test_workitem_create_answers_201_with_location() -> None:
    created = op("2", "createWorkitem").response("201")
    assert created is not None
    assert {"Location", "Content-Location"} <= {h.name for h in created.headers}


def test_adding_extended_query_tags_answers_the_bare_operation_reference() -> None:
    accepted = op("2", "addExtendedQueryTags").response("202")
    assert accepted is not None
    schema = accepted.content[0].schema
    assert schema is not None and set(schema["properties"]) == {"id", "href"}


def test_change_feed_parameters_differ_between_v1_and_v2() -> None:
    def params(version: str) -> dict[str, dict[str, Any]]:
        return {p.name: p.schema for p in op(version, "getChangeFeed").parameters}

    v1, v2 = params("1"), params("2")
    assert set(v1) == {"offset", "limit", "includeMetadata"}
    assert (v1["limit"]["minimum"], v1["limit"]["maximum"], v1["limit"]["default"]) == (1, 100, 10)
    assert set(v2) == {"startTime", "endTime", "offset", "limit", "includeMetadata"}
    assert (v2["limit"]["minimum"], v2["limit"]["maximum"], v2["limit"]["default"]) == (1, 200, 100)
    assert v2["startTime"]["format"] == v2["endTime"]["format"] == "date-time"
    assert not any(name.startswith("Window") for name in v1 | v2)


def test_operation_status_is_completed_in_v1_and_succeeded_in_v2() -> None:
    def statuses(version: str) -> set[str]:
        schema = op(version, "getOperation").response("200").content[0].schema  # type: ignore[union-attr]
        return set(schema["properties"]["status"]["enum"])  # type: ignore[index]

    assert "completed" in statuses("1") and "succeeded" not in statuses("1")
    assert "succeeded" in statuses("2") and "completed" not in statuses("2")


def test_bulk_update_only_works_from_v2() -> None:
    for version in ("1.0-prerelease", "1"):
        v1 = op(version, "bulkUpdateStudies")
        assert v1.success is None and v1.request_body is None
        assert v1.response("404") is not None
    v2 = op("2", "bulkUpdateStudies")
    assert v2.response("202") is not None and v2.request_body is not None


def test_store_answers_202_on_warnings_in_v2_only() -> None:
    assert "warning" in op("2", "storeInstances").response("202").description.lower()  # type: ignore[union-attr]
    assert "warning" not in op("1", "storeInstances").response("202").description.lower()  # type: ignore[union-attr]


def test_qido_default_attributes_shrink_in_v2() -> None:
    def defaults(version: str, level: str) -> set[str]:
        spec = op(version, "searchStudies") and model().spec(version)  # skips once the version is retired
        return {a["keyword"] for a in spec.dicom["queryLevels"][level]["default"]}

    assert defaults("2", "instance") == {"SOPInstanceUID"}
    assert defaults("2", "study") == {
        "StudyDate",
        "AccessionNumber",
        "StudyDescription",
        "ReferringPhysicianName",
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "StudyInstanceUID",
        "StudyTime",
        "ModalitiesInStudy",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
        "RetrieveURL",
    }
    assert {"SpecificCharacterSet", "TimezoneOffsetFromUTC", "PatientSex"} <= defaults("1", "study")
    tags = {a["keyword"]: a["tag"] for a in model().spec("2").dicom["queryLevels"]["study"]["default"]}
    assert tags["ReferringPhysicianName"] == "00080090"  # not the upstream documents' typo (0009,0090)


def test_qido_searches_declare_their_attribute_filters_and_paging() -> None:
    search = op("2", "searchStudies")
    params = {p.name: p for p in search.parameters}
    assert {"PatientName", "StudyDate", "includefield", "fuzzymatching", "limit", "offset"} <= set(params)
    assert params["StudyDate"].dicom_attribute == {
        "tag": "00080020",
        "vr": "DA",
        "matching": ["exact", "range"],
    }
    limit = params["limit"].schema
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 200, 100)
    assert search.extensions["x-dicom-query"] == {"level": "study", "returns": ["study"]}


def test_every_response_declares_the_versioning_headers() -> None:
    for spec in model().specs.values():
        for operation in spec.operations:
            for response in operation.responses:
                names = {h.name for h in response.headers}
                assert {"api-supported-versions", "api-deprecated-versions"} <= names, (
                    spec.version.name,
                    operation.operation_id,
                    response.status,
                )
