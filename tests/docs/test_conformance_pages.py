"""Conformance statements: every operation of the version and only those, the spec's conformance data,
the limits that apply, lifecycle admonitions, and a changed bound showing up."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from generator.model import ApiModel
from tests.docs.pages import ROOT, page, render, render_real, rich_project
from tests.fixtures import parse_yaml


def test_each_conformance_page_lists_every_operation_of_its_version(
    real_model: ApiModel, real_pages: dict[str, bytes]
) -> None:
    for name, api_spec in real_model.specs.items():
        text = real_pages[f"site/conformance/{api_spec.version.slug}.md"].decode()
        assert api_spec.operations, name
        for op in api_spec.operations:
            assert f"`{op.operation_id}`" in text, (name, op.operation_id)
            assert f"{op.method.upper()} `{op.path}`" in text, (name, op.method, op.path)


def test_a_limit_tied_to_an_operation_is_stated_only_where_the_version_has_it(
    real_model: ApiModel, real_pages: dict[str, bytes]
) -> None:
    for api_spec in real_model.specs.values():
        text = real_pages[f"site/conformance/{api_spec.version.slug}.md"].decode()
        has_bulk_data = any(op.operation_id == "retrieveInstanceBulkData" for op in api_spec.operations)
        assert ("`DICOM_BULKDATA_THRESHOLD`" in text) == has_bulk_data, api_spec.version.name
        assert "`DICOM_MAX_PARTS`" in text


def test_operations_of_other_versions_are_not_listed(tmp_path: Path) -> None:
    pages = render(rich_project(tmp_path))
    assert "`startExport`" in page(pages, "site/conformance/v1.md")
    assert "`startExport`" not in page(pages, "site/conformance/v1.0-prerelease.md")


def test_conformance_page_shows_the_specs_conformance_data(tmp_path: Path) -> None:
    text = page(render(rich_project(tmp_path)), "site/conformance/v2.md")
    assert (
        "- `limit` (query, integer, optional, default `100`, `≥ 1`, `≤ 200`)" in text
    )  # with its description
    assert "| `PatientName` | (0010,0010) PN | exact, fuzzy |" in text  # searchable attributes
    assert "| GET `/studies` | study | study |" in text  # level searched, levels returned
    assert "`1.2.840.10008.1.2.1` (Explicit VR Little Endian)" in text  # transfer syntax named from x-dicom
    assert "| `StudyTime` | (0008,0030) | with `includefield` |" in text
    assert "| `272` | Processing failure. |" in text and "| `45063` |" in text
    assert "`OB`, `UN`" in text and "| Max request size | 2 GB |" in text
    assert "in a partition: GET `/partitions/{partitionName}/studies`" in text  # the partition twin is listed
    assert "| Studies Service | [QIDO-RS](#tx-qido-rs) (1 route) |" in text
    assert "| Non-standard APIs | [Export](#tx-export) (1 route) |" in text
    assert "`https://<service-url>/v2/`" in text and "`/v2.0/`" in text


def test_version_lifecycle_admonitions(tmp_path: Path) -> None:
    pages = render(rich_project(tmp_path))
    prerelease = page(pages, "site/conformance/v1.0-prerelease.md")
    assert '!!! warning "Prerelease version"' in prerelease
    assert '!!! danger "Deprecated version"' in prerelease
    assert "since 2023-06-30" in prerelease and "after 2027-06-30" in prerelease
    assert "(../versioning-policy.md#deprecation)" in prerelease
    assert '!!! danger "Deprecated version"' in page(pages, "site/api/v1.0-prerelease.md")
    released = page(pages, "site/conformance/v2.md") + page(pages, "site/api/v2.md")
    assert "!!! danger" not in released and "!!! warning" not in released


def test_a_changed_parameter_bound_changes_the_conformance_page(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(ROOT / "specs", project / "specs")
    shutil.copytree(ROOT / "templates", project / "templates")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    before = page(render_real(), "site/conformance/v2.md")  # the copy, as it is

    v2 = project / "specs" / "v2.yaml"
    document = parse_yaml(v2.read_text(encoding="utf-8"))
    changed = _set_limit_maximum(document, 173)
    assert changed, "the v2 spec has no query parameter `limit` with a maximum"
    v2.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    after = page(render(project / "specs", project / "templates"), "site/conformance/v2.md")

    assert "`≤ 173`" not in before
    assert "`≤ 173`" in after
    assert before != after


def _set_limit_maximum(node: Any, maximum: int) -> int:
    """Sets the maximum of every `limit` query parameter in a document; how many it changed."""
    count = 0
    if isinstance(node, dict):
        schema = node.get("schema")
        if (
            node.get("name") == "limit"
            and node.get("in") == "query"
            and isinstance(schema, dict)
            and "maximum" in schema
        ):
            schema["maximum"] = maximum
            count += 1
        for value in node.values():
            count += _set_limit_maximum(value, maximum)
    elif isinstance(node, list):
        for value in node:
            count += _set_limit_maximum(value, maximum)
    return count
