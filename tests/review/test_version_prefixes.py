"""Files with the version in their paths (`/v1/...`, `/v2/...`) are compared endpoint by endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.review.helpers import BREAKING, review, spec, write_yaml


def _versioned(document: dict[str, Any], segment: str) -> dict[str, Any]:
    document["paths"] = {f"/{segment}{path}": item for path, item in document["paths"].items()}
    return document


def test_v1_to_v2_with_versioned_paths_reports_what_v2_changes_not_every_endpoint_moved(
    tmp_path: Path,
) -> None:
    base = write_yaml(tmp_path / "v1.yaml", _versioned(spec("1"), "v1"))
    head = write_yaml(tmp_path / "v2.yaml", _versioned(spec("2", **BREAKING), "v2"))
    run = review(base, head, "--format", "json")
    assert run.code == 0, run.err
    rules = {c["rule"] for c in run.json["changes"]}
    assert not rules & {"endpoint-renamed", "endpoint-removed", "endpoint-added"}
    unprefixed = review(
        write_yaml(tmp_path / "a.yaml", spec("1")),
        write_yaml(tmp_path / "b.yaml", spec("2", **BREAKING)),
        "--format",
        "json",
    )
    assert rules == {c["rule"] for c in unprefixed.json["changes"]} and rules
