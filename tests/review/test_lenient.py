"""Review reads leniently, lint stays strict: what does not change the contract is a warning, never a refusal;
what cannot be read is refused as a report of both sides, in the format asked for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from generator.review.lines import line_finder
from generator.yamlsafe import load_yaml
from tests.review.helpers import REPO, review, spec, write_yaml


def _plant_every_defect(document: dict[str, Any]) -> dict[str, Any]:
    """The defects real descriptions publish, each of which a strict reading refuses."""
    document["openapi"] = "3.1.0"  # OpenAPI 3.1
    document["info"]["version"] = int(document["info"]["version"])  # an unquoted version number
    schemas = document["components"]["schemas"]
    enum_schema = next(s for s in schemas.values() if isinstance(s.get("enum"), list))
    enum_schema["default"] = "not-one-of-them"  # a default outside its enum
    document["paths"]["/studies/{studyInstanceUid}/undeclared"] = {  # a path parameter used, never declared
        "get": {"operationId": "undeclared", "responses": {"204": {"description": "nothing"}}}
    }
    operation = document["paths"]["/studies"]["get"]
    operation["produces"] = ["application/dicom+json"]  # a field OpenAPI does not define
    response = next(iter(operation["responses"].values()))
    media = next(iter(response["content"].values()))
    media["examples"] = {"linked": {"value": {"study": {"$ref": "next-to-the-spec.json"}}}}  # literal data
    return document


def test_real_documents_with_every_defect_are_compared_with_warnings_not_refused(tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    sides = []
    for version in ("1", "2"):
        path = tmp_path / "specs" / f"v{version}.yaml"
        planted = _plant_every_defect(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
        sides.append(write_yaml(tmp_path / "specs" / f"planted-v{version}.yaml", planted))
    run = review(*sides, "--format", "json")
    assert run.code == 0, run.out + run.err  # compared: v1 → v2 is a new major version
    data = run.json
    assert data["breaking"] is True and data["changes"]
    codes = {(w["code"], w["file"]) for w in data["warnings"]}
    for code in (
        "review-version",
        "review-default-not-in-enum",
        "review-path-parameter",
        "review-unknown-field",
        "review-example-ref",
    ):
        assert (code, str(sides[1])) in codes, code
    assert all(isinstance(w["line"], int) for w in data["warnings"])


def test_a_refusal_is_a_json_report_with_the_errors_of_both_sides(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n")
    head = tmp_path / "head.yaml"
    head.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a: {get: {parameters: 7}}\n")
    run = review(base, head, "--format", "json")
    assert run.code == 2
    data = run.json
    assert data["verdict"] == "unreadable" and data["exit_code"] == 2 and data["changes"] == []
    errors = {(e["side"], e["file"], e["line"], e["pointer"], e["code"]) for e in data["errors"]}
    assert errors == {
        ("BASE", str(base), 1, "/swagger", "review-not-openapi"),
        ("HEAD", str(head), 4, "/paths/~1a/get/parameters", "review-shape"),
    }
    assert str(base) in run.err and str(head) in run.err  # and on stderr, as before


def test_a_refusal_in_markdown_is_the_pull_request_comment(tmp_path: Path) -> None:
    good = write_yaml(tmp_path / "good.yaml", spec("1"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: [\n")
    run = review(good, broken, "--format", "markdown")
    assert run.code == 2
    lines = run.out.splitlines()
    assert lines[:2] == ["<!-- spec-review -->", "## ❌ Spec review: the specs could not be read"]
    assert "### HEAD" in lines and "### BASE" not in lines
    assert any(line.startswith(f"- `{broken}:4") and "[yaml-syntax]" in line for line in lines)


def test_an_error_message_never_dumps_a_whole_schema(tmp_path: Path) -> None:
    document = spec("1")
    document["paths"]["/operations/{id}"]["get"]["responses"]["200"]["content"] = [
        "not",
        "a",
        "mapping",
    ] * 200
    head = write_yaml(tmp_path / "head.yaml", document)
    run = review(write_yaml(tmp_path / "base.yaml", spec("1")), head, "--format", "json")
    assert run.code == 2
    (error,) = run.json["errors"]
    assert error["message"] == "`content` must be a mapping" and error["line"] is not None


def test_lines_of_pretty_printed_json_are_the_lines_the_yaml_reader_finds(tmp_path: Path) -> None:
    document = spec("1")
    document["paths"]["/operations/{id}"]["get"]["tags"] = ["a", "b", {"c": []}]
    text = json.dumps(document, indent=2)
    pointers = [
        "/paths/~1operations~1{id}/get/parameters/0/schema",
        "/paths/~1operations~1{id}/get/tags/2/c",
        "/paths/~1operations~1{id}/get/responses/200",
        "/components/schemas/OperationStatus/properties/status/enum",
        "/components/schemas/OperationStatus/properties/missing",  # not in the source: its parent's line
        "/info",
    ]
    fast = line_finder(load_yaml(text))
    slow = load_yaml(text)
    slow.text = None
    slow.root = yaml.compose(text)  # the YAML reader's lines, for comparison
    assert [fast(p) for p in pointers] == [slow.line_of(p) for p in pointers]
    assert line_finder(load_yaml(json.dumps(document)))("/info") == 1  # minified: one line
