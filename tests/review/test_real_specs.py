"""The project's own specs end to end: reviewed against themselves, and v1 → v2 as the doc site shows it."""

from __future__ import annotations

from typing import Any

import pytest

from generator.lifecycle.registry_file import read_registry
from generator.refs import resolve_pointer
from tests.fixtures import parse_yaml
from tests.review.helpers import REPO, review

SPECS = REPO / "specs"
pytestmark = pytest.mark.skipif(
    not all((SPECS / f).is_file() for f in ("versions.yaml", "v1.yaml", "v2.yaml")),
    reason="specs not written yet",
)


def test_the_specs_reviewed_against_themselves_report_nothing() -> None:
    run = review(SPECS, SPECS, "--format", "json")
    assert run.code == 0, run.err
    # Waivers are not asserted: against itself each is stale by construction, and a pull request carries its
    # waivers until it merges (`make review` against the base checks that they match).
    assert run.json["changes"] == []
    served = [v.name for v in read_registry(SPECS).registry.versions]
    assert [v["version"] for v in run.json["versions"]] == served


def test_v1_to_v2_shows_the_differences_of_the_specs_and_is_allowed_as_a_new_major() -> None:
    run = review(SPECS / "v1.yaml", SPECS / "v2.yaml", "--format", "json")
    assert run.code == 0, run.err
    data = run.json
    assert data["breaking"] is True and data["verdict"] == "allowed"
    changes: list[dict[str, Any]] = data["changes"]
    assert all(c["exemption"] == "new-major" for c in changes if c["breaking"])

    def found(rule: str, operation_id: str = "", text: str = "") -> bool:
        return any(
            c["rule"] == rule and operation_id in c["operationId"] and text in c["message"] for c in changes
        )

    assert found("response-enum-value-added", "getOperation", "succeeded")
    assert found("response-enum-value-removed", "getOperation", "completed")
    assert found("parameter-added", "getChangeFeed")
    assert found("success-status-added", "bulkUpdateStudies", "202")
    assert found("extension-changed", "", "x-dicom/queryLevels/study/default")
    documents = {
        side: parse_yaml((SPECS / f"{v}.yaml").read_text()) for side, v in (("base", "v1"), ("head", "v2"))
    }
    for change in changes:
        resolve_pointer(documents[change["document"]], change["location"])
