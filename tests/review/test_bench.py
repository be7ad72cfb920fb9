"""The review bench's synthetic documents: valid, and their planted changes are what the review finds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench.review import synthetic_spec
from tests.review.helpers import review, write_yaml


def test_the_synthetic_pair_is_valid_and_its_planted_changes_are_found(tmp_path: Path) -> None:
    base = write_yaml(tmp_path / "base.yaml", synthetic_spec(320, revised=False))
    head = write_yaml(tmp_path / "head.yaml", synthetic_spec(320, revised=True))
    run = review(base, head, "--format", "json")
    assert run.code == 0, run.err  # info.version 1 → 2: breaking changes are allowed
    rules = Counter(c["rule"] for c in run.json["changes"])
    assert rules["response-property-added"] > 0  # kind 0
    assert rules["response-enum-value-added"] > 0 and rules["request-enum-value-added"] > 0  # kind 1
    assert rules["parameter-removed"] == 1 and rules["parameter-added"] == 1  # kinds 2 and 3
    assert rules["request-constraint-tightened"] > 0 and rules["response-constraint-tightened"] > 0  # kind 4
    assert rules["success-status-added"] == 1  # kind 5
    assert rules["type-changed"] > 0  # kind 6
    assert "endpoint-removed" not in rules and "endpoint-added" not in rules  # kind 7: a path-param rename
