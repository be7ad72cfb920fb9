"""The three outputs: text for a terminal, Markdown for the pull-request comment, JSON for machines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.review.report.comment import COMMENT_MARKER, MARKDOWN_LIMIT, md
from tests.review.helpers import BREAKING, STATUS_ENUM, review, spec, write_yaml


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    head = spec("1", **BREAKING)
    head["paths"]["/operations/{id}"]["get"]["operationId"] = "readOperation"  # a warning too
    head["components"]["schemas"]["OperationStatus"]["properties"]["note|x"] = {"type": "string"}
    return write_yaml(tmp_path / "base.yaml", spec("1")), write_yaml(tmp_path / "head.yaml", head)


def test_json_has_a_boolean_verdict_and_every_change_with_its_rule_and_place(pair: tuple[Path, Path]) -> None:
    run = review(*pair, "--format", "json")
    data = run.json
    assert run.code == 1 == data["exit_code"]
    assert data["breaking"] is True and data["verdict"] == "violation"
    by_rule = {c["rule"]: c for c in data["changes"]}
    assert set(by_rule) == {"operation-id-changed", "response-enum-value-added", "response-property-added"}
    enum = by_rule["response-enum-value-added"]
    head = str(pair[1])
    line = pair[1].read_text().splitlines().index("          enum:") + 1
    assert enum == {
        "rule": "response-enum-value-added",
        "breaking": True,
        "severity": "breaking",
        "direction": "response",
        "directions": ["response"],
        "operation": "GET /operations/{id}",
        "operationId": "readOperation",
        "operations": [
            {
                "operation": "GET /operations/{id}",
                "operationId": "readOperation",
                "direction": "response",
                "part": "response 200 (application/json)",
            }
        ],
        "parts": ["response 200 (application/json)"],
        "location": STATUS_ENUM,
        "document": "head",
        "file": head,
        "line": line,
        "version": "1",
        "policy": enum["policy"],
        "message": 'OperationStatus.status: enum value(s) "succeeded" added',
        "exempt": False,
        "exemption": None,
        "waived": False,
        "waiver_reason": None,
    }
    assert enum["policy"].startswith("Deleting a property in a response")
    assert by_rule["operation-id-changed"]["breaking"] is False
    assert by_rule["operation-id-changed"]["severity"] == "warning"


def test_json_without_changes_is_not_breaking(tmp_path: Path) -> None:
    base = write_yaml(tmp_path / "base.yaml", spec("1"))
    data = review(base, base, "--format", "json").json
    assert data["breaking"] is False and data["verdict"] == "ok" and data["changes"] == []


def test_markdown_is_a_pull_request_comment_with_one_table_row_per_change(pair: tuple[Path, Path]) -> None:
    run = review(*pair, "--format", "markdown")
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0] == COMMENT_MARKER
    assert lines[1] == "## ❌ Spec review: policy violation"
    assert "1 breaking, 1 not allowed, 0 waived, 0 exempt, 1 warning(s), 1 non-breaking" in run.out
    assert "> **breaking change without a new major version" in run.out
    assert "### Breaking changes (1)" in lines
    assert lines.count("| Status | Rule | Change | Affects | Location |") == 2  # breaking; the rest, folded
    assert lines.index("### Breaking changes (1)") < lines.index(
        "<summary>Non-breaking changes and warnings (2)</summary>"
    )
    rows = [line for line in lines if line.startswith("| ") and "`" in line.split("|")[2]]
    assert len(rows) == 3
    enum_row = next(r for r in rows if "response-enum-value-added" in r)
    line = pair[1].read_text().splitlines().index("          enum:") + 1
    assert f"`{STATUS_ENUM}` (head line {line})" in enum_row
    assert "GET /operations/{id} — response 200 (application/json)" in enum_row
    assert "- `response-enum-value-added`: Deleting a property in a response" in run.out  # its policy, once
    added_row = next(r for r in rows if "response-property-added" in r)
    assert "note\\|x" in added_row  # a pipe in a name cannot break the table


def test_markdown_marks_allowed_changes(tmp_path: Path) -> None:
    base = write_yaml(tmp_path / "base.yaml", spec("1"))
    head = write_yaml(tmp_path / "head.yaml", spec("2", **BREAKING))
    run = review(base, head, "--format", "markdown")
    assert run.code == 0
    assert "## ⚠️ Spec review: breaking changes allowed" in run.out
    assert "allowed: new major version" in run.out


def test_text_names_rule_operation_place_and_policy(pair: tuple[Path, Path]) -> None:
    out = review(*pair).out
    assert "BREAKING" in out and "response-enum-value-added  GET /operations/{id} (readOperation)" in out
    assert f"at head {STATUS_ENUM}" in out
    assert "policy: Deleting a property in a response" in out
    assert out.rstrip().endswith("publish it as version 2")


def test_markdown_text_escaping() -> None:
    assert md("a|b\nc <d> `e`") == "a\\|b c &lt;d&gt; 'e'"


def test_markdown_stays_under_the_comment_limit_and_points_to_the_json_report(tmp_path: Path) -> None:
    many = spec("1")
    item = many["paths"]["/operations/{id}"]
    for i in range(1500):
        many["paths"][f"/operations{i}/{{id}}"] = {"get": {**item["get"], "operationId": f"getOperation{i}"}}
    base = tmp_path / "base.json"
    base.write_text(json.dumps(many, indent=1))
    head = write_yaml(tmp_path / "head.yaml", spec("1"))
    run = review(base, head, "--format", "markdown")
    assert run.code == 1
    assert len(run.out) < MARKDOWN_LIMIT <= 60_000
    assert "### Breaking changes (1500)" in run.out
    assert "not shown to keep this comment short" in run.out and "`spec-review-report`" in run.out
    assert len(review(base, head, "--format", "json").json["changes"]) == 1500  # the JSON has every one
