"""The loader refuses bad specs with specific, located errors, and builds the model from good ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.diagnostics import Diagnostic, InputError
from generator.loader import load_api
from tests.fixtures import REGISTRY, spec, write_project


def problems(specs: Path) -> list[Diagnostic]:
    with pytest.raises(InputError) as caught:
        load_api(specs)
    return caught.value.diagnostics


def only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    matching = [d for d in diagnostics if d.code == code]
    assert matching, f"no {code} among {[str(d) for d in diagnostics]}"
    return matching[0]


def test_a_valid_project_loads_with_every_version(tmp_path: Path) -> None:
    model = load_api(write_project(tmp_path)).model
    assert list(model.specs) == ["1.0-prerelease", "1", "2"]
    assert [len(s.operations) for s in model.specs.values()] == [2, 3, 3]


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    text = yaml.safe_dump(spec("2", "v2"), sort_keys=False).replace(
        "operationId: startExport", "operationId: [startExport"
    )
    found = only(problems(write_project(tmp_path, v2=text)), "yaml-syntax")
    assert found.file == "v2.yaml"
    assert found.line is not None and found.line > 1


def test_dangling_internal_ref_is_reported_with_pointer(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["paths"]["/studies"]["get"]["parameters"] = [{"$ref": "#/components/parameters/nope"}]
    found = only(problems(write_project(tmp_path, v2=document)), "ref-dangling")
    assert found.file == "v2.yaml"
    assert found.pointer == "/paths/~1studies/get/parameters/0/$ref"
    assert "#/components/parameters/nope" in found.message


def test_dangling_file_ref_is_reported(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["components"]["schemas"]["Dataset"] = {"$ref": "shared/missing.yaml#/Dataset"}
    found = only(problems(write_project(tmp_path, v2=document)), "ref-dangling")
    assert "shared/missing.yaml" in found.message


def test_remote_ref_is_refused_without_network(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["components"]["schemas"]["Dataset"] = {"$ref": "https://example.com/schemas.yaml#/Dataset"}
    found = only(problems(write_project(tmp_path, v2=document)), "ref-remote")
    assert found.pointer == "/components/schemas/Dataset/$ref"


@pytest.mark.parametrize("target", ["../outside.yaml#/X", "/etc/passwd", "shared/../../outside.yaml"])
def test_ref_escaping_the_specs_folder_is_refused(tmp_path: Path, target: str) -> None:
    (tmp_path / "outside.yaml").write_text("X: {type: string}\n")
    document = spec("2", "v2")
    document["components"]["schemas"]["Dataset"] = {"$ref": target}
    found = only(problems(write_project(tmp_path, v2=document)), "ref-escape")
    assert found.file == "v2.yaml"


def test_ref_cycle_is_reported_not_looped_on(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["components"]["schemas"]["A"] = {"$ref": "#/components/schemas/B"}
    document["components"]["schemas"]["B"] = {"$ref": "#/components/schemas/A"}
    found = only(problems(write_project(tmp_path, v2=document)), "ref-cycle")
    assert "/components/schemas/A" in found.message and "/components/schemas/B" in found.message


def test_ref_cycle_across_files_is_reported(tmp_path: Path) -> None:
    specs = write_project(tmp_path)
    (specs / "shared").mkdir()
    (specs / "shared" / "a.yaml").write_text("A: {$ref: 'b.yaml#/B'}\n")
    (specs / "shared" / "b.yaml").write_text("B: {$ref: 'a.yaml#/A'}\n")
    document = spec("2", "v2")
    document["components"]["schemas"]["Dataset"] = {"$ref": "shared/a.yaml#/A"}
    (specs / "v2.yaml").write_text(yaml.safe_dump(document))
    found = only(problems(specs), "ref-cycle")
    assert "shared/a.yaml" in found.message and "shared/b.yaml" in found.message


def test_recursive_schema_is_allowed(tmp_path: Path) -> None:
    # Dataset → Attribute → Value items → Dataset: structural recursion, as DICOM JSON sequences need.
    model = load_api(write_project(tmp_path)).model
    items = model.spec("2").operation("searchStudies").responses[0].content[0].schema
    assert items is not None and items["type"] == "array"


def test_fragment_in_another_file_is_bundled_into_the_document(tmp_path: Path) -> None:
    specs = write_project(tmp_path)
    (specs / "shared").mkdir()
    (specs / "shared" / "schemas.yaml").write_text("Limit: {type: integer, minimum: 1, maximum: 50}\n")
    document = spec("2", "v2")
    document["components"]["parameters"]["limit"]["schema"] = {"$ref": "shared/schemas.yaml#/Limit"}
    (specs / "v2.yaml").write_text(yaml.safe_dump(document))
    v2 = load_api(specs).model.spec("2")
    assert v2.document["components"]["parameters"]["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 50,
    }


def test_yaml_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    found = only(problems(write_project(tmp_path, v2="\n".join(lines) + "\n")), "yaml-alias-bomb")
    assert found.file == "v2.yaml"


def test_yaml_object_construction_is_refused(tmp_path: Path) -> None:
    found = only(
        problems(write_project(tmp_path, v2="x: !!python/object/apply:os.system ['true']\n")),
        "yaml-unsupported-tag",
    )
    assert found.line == 1


def test_duplicate_yaml_key_is_reported(tmp_path: Path) -> None:
    text = yaml.safe_dump(spec("2", "v2"), sort_keys=False) + "openapi: 3.0.3\n"
    found = only(problems(write_project(tmp_path, v2=text)), "yaml-duplicate-key")
    assert found.pointer == "/openapi"


def test_duplicate_operation_id_names_both_operations(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["paths"]["/export"]["post"]["operationId"] = "searchStudies"
    found = only(problems(write_project(tmp_path, v2=document)), "operation-id-duplicate")
    assert found.pointer == "/paths/~1export/post/operationId"
    assert "GET /studies" in found.message
    assert found.line is not None


def test_missing_example_is_reported(tmp_path: Path) -> None:
    document = spec("2", "v2")
    del document["paths"]["/export"]["post"]["requestBody"]["content"]["application/json"]["example"]
    found = only(problems(write_project(tmp_path, v2=document)), "example-missing")
    assert found.pointer == "/paths/~1export/post/requestBody/content/application~1json"


def test_invalid_example_is_reported_with_the_schema_error(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["paths"]["/export"]["post"]["requestBody"]["content"]["application/json"]["example"] = {
        "target": 1
    }
    found = only(problems(write_project(tmp_path, v2=document)), "example-invalid")
    assert "'source' is a required property" in found.message
    assert found.pointer.endswith("/example")


def test_example_of_a_shared_component_is_located_at_the_component(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["components"]["parameters"]["limit"]["example"] = 500
    found = only(problems(write_project(tmp_path, v2=document)), "example-invalid")
    assert found.pointer == "/components/parameters/limit/example"
    assert "500 is greater than the maximum of 200" in found.message


def test_registry_and_spec_disagree_on_the_version(tmp_path: Path) -> None:
    found = only(problems(write_project(tmp_path, v2=spec("3", "v2"))), "registry-mismatch")
    assert found.file == "v2.yaml" and found.pointer == "/info/version"


def test_spec_file_not_in_the_registry_is_reported(tmp_path: Path) -> None:
    specs = write_project(tmp_path)
    (specs / "v3.yaml").write_text(yaml.safe_dump(spec("3", "v3")))
    assert only(problems(specs), "registry-spec-unregistered").file == "v3.yaml"


def test_registry_entry_without_its_spec_file_is_reported(tmp_path: Path) -> None:
    registry = {
        **REGISTRY,
        "versions": [
            *REGISTRY["versions"],
            {"name": "3", "segment": "v3", "status": "released", "spec": "v3.yaml"},
        ],
    }
    found = only(problems(write_project(tmp_path, registry=registry)), "registry-spec-missing")
    assert found.file == "versions.yaml" and found.pointer == "/versions/3/spec"


def test_registry_alias_must_name_the_same_version(tmp_path: Path) -> None:
    registry = {**REGISTRY, "versions": [dict(v) for v in REGISTRY["versions"]]}
    registry["versions"][2]["aliases"] = ["v2.1"]
    found = only(problems(write_project(tmp_path, registry=registry)), "registry-segment")
    assert found.pointer == "/versions/2/aliases/0"


def test_path_with_a_version_segment_is_reported(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["paths"]["/v2/studies"] = document["paths"].pop("/studies")
    document["paths"]["/v2/studies"]["get"]["operationId"] = "searchStudiesAgain"
    found = only(problems(write_project(tmp_path, v2=document)), "path-versioned")
    assert "/v2/studies" in found.message


def test_every_error_of_a_run_is_reported_together(tmp_path: Path) -> None:
    v1 = spec("1", "v1")
    v1["paths"]["/export"]["post"]["operationId"] = "searchStudies"
    v2 = spec("2", "v2")
    v2["components"]["parameters"]["limit"]["example"] = 0
    codes = {(d.file, d.code) for d in problems(write_project(tmp_path, v1=v1, v2=v2))}
    assert {("v1.yaml", "operation-id-duplicate"), ("v2.yaml", "example-invalid")} <= codes


def test_openapi_schema_errors_are_reported_with_location(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["paths"]["/export"]["post"]["responses"]["202"]["description"] = 5
    found = only(problems(write_project(tmp_path, v2=document)), "openapi")
    assert found.pointer == "/paths/~1export/post/responses/202/description"
    assert found.line is not None
    assert found.message == "5 is not of type 'string' (OpenAPI schema keyword `type`)"


def test_a_structural_error_names_the_failed_keyword_not_an_object_dump(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["paths"]["/studies"]["get"]["parameters"].append(
        {"name": "PatientName", "in": "queryx", "schema": {"type": "string"}}
    )
    found = only(problems(write_project(tmp_path, v2=document)), "openapi")
    assert found.pointer == "/paths/~1studies/get/parameters/1/in"
    assert found.message == (
        "'queryx' is not one of 'cookie', 'header', 'path', 'query' (OpenAPI schema keyword `enum`)"
    )


def test_a_misspelt_schema_type_is_located_at_the_type(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["components"]["schemas"]["Attribute"]["properties"]["vr"]["type"] = "strng"
    found = only(problems(write_project(tmp_path, v2=document)), "openapi")
    assert found.pointer == "/components/schemas/Attribute/properties/vr/type"
    assert found.line is not None and "'strng' is not one of" in found.message


def test_model_knows_the_versions_of_each_endpoint_and_where_they_differ(tmp_path: Path) -> None:
    v2 = spec("2", "v2")
    v2["components"]["parameters"]["limit"]["schema"]["maximum"] = 100
    model = load_api(write_project(tmp_path, v2=v2)).model
    endpoints = {(e.method, e.path): e for e in model.endpoints}
    assert endpoints[("post", "/export")].versions == ("1", "2")
    search = endpoints[("get", "/studies")]
    assert search.versions == ("1.0-prerelease", "1", "2")
    assert search.differences == {("1", "2"): ("/parameters/0/schema/maximum",)}
    assert search.latest.handler == "search_studies"
    twin = endpoints[("get", "/partitions/{partitionName}/studies")].latest
    assert twin.partitioned and twin.handler == "search_studies"


def test_a_default_its_schema_rejects_is_reported_at_the_default(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["components"]["parameters"]["limit"]["schema"]["maximum"] = 50
    found = only(problems(write_project(tmp_path, v2=document)), "schema-default")
    assert found.pointer == "/components/parameters/limit/schema/default"
    assert found.message == "100 is greater than the maximum of 50"
    assert found.line is not None


def test_a_schema_property_named_ref_is_a_property_not_a_reference(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["components"]["schemas"]["Scim"] = {"type": "object", "properties": {"$ref": {"type": "string"}}}
    v2 = load_api(write_project(tmp_path, v2=document)).model.spec("2")
    assert v2.document["components"]["schemas"]["Scim"]["properties"]["$ref"] == {"type": "string"}


def test_a_json_spec_gets_the_same_checks_and_located_errors(tmp_path: Path) -> None:
    import json

    document = spec("2", "v2")
    document["components"]["parameters"]["limit"]["example"] = 500
    text = json.dumps(document, indent=1)
    found = only(problems(write_project(tmp_path, v2=text)), "example-invalid")
    assert found.pointer == "/components/parameters/limit/example"
    assert found.line == text.splitlines().index('    "example": 500') + 1
    duplicated = text.replace('"openapi": "3.0.3",', '"openapi": "3.0.3", "openapi": "3.0.3",')
    assert only(problems(write_project(tmp_path, v2=duplicated)), "yaml-duplicate-key").pointer == "/openapi"


def test_an_operation_without_the_version_error_400_fails_the_lint(tmp_path: Path) -> None:
    document = spec("2", "v2")
    del document["paths"]["/export"]["post"]["responses"]["400"]
    found = only(problems(write_project(tmp_path, v2=document)), "version-error")
    assert found.pointer == "/paths/~1export/post/responses" and found.line is not None
    assert "must document 400 with the version error" in found.message


def test_a_response_without_the_deprecated_versions_header_fails_the_lint(tmp_path: Path) -> None:
    document = spec("2", "v2")
    document["paths"]["/export"]["post"]["responses"]["202"]["headers"] = {
        "api-supported-versions": {"$ref": "#/components/headers/ApiSupportedVersions"}
    }
    found = only(problems(write_project(tmp_path, v2=document)), "version-header")
    assert found.pointer == "/paths/~1export/post/responses/202"
    assert "api-deprecated-versions" in found.message


def test_a_partition_twin_must_have_its_bases_contract(tmp_path: Path) -> None:
    document = spec("2", "v2")
    twin = document["paths"]["/partitions/{partitionName}/studies"]["get"]
    twin["parameters"].append({"name": "sortBy", "in": "query", "schema": {"type": "string"}})
    twin["description"] = "Described differently: allowed."
    found = only(problems(write_project(tmp_path, v2=document)), "partition-twin-contract")
    assert found.pointer == "/paths/~1partitions~1{partitionName}~1studies/get"
    assert "they differ at /parameters/query sortBy" in found.message


def test_a_tab_in_yaml_is_called_a_tab(tmp_path: Path) -> None:
    text = yaml.safe_dump(spec("2", "v2"), sort_keys=False).replace("  title: Test API", "\ttitle: Test API")
    found = only(problems(write_project(tmp_path, v2=text)), "yaml-syntax")
    assert found.line == 3 and "a tab character at column 1" in found.message


def test_an_operation_without_security_or_data_action_fails_the_lint(tmp_path: Path) -> None:
    document = spec("2", "v2")
    del document["security"]
    del document["paths"]["/export"]["post"]["x-data-action"]
    found = problems(write_project(tmp_path, v2=document))
    missing = [p for p in found if p.code == "security-missing"]
    assert {p.pointer for p in missing} == {
        "/paths/~1studies/get",
        "/paths/~1partitions~1{partitionName}~1studies/get",
        "/paths/~1export/post",
    }
    action = only(found, "data-action")
    assert action.pointer == "/paths/~1export/post"
    assert "POST /export must name its x-data-action, one of the scheme's x-data-actions (export, read)" in (
        action.message
    )
