"""The doc site's API: changes between two versions' specs, and consecutive versions of one folder."""

from __future__ import annotations

from pathlib import Path

from generator.loader import load_api
from generator.review.changes import Change, changes_across, changes_between
from generator.review.sources import load_file
from tests.review.helpers import BREAKING, spec, specs_folder, write_yaml


def test_changes_between_two_specs_are_judged_by_the_table(tmp_path: Path) -> None:
    old = load_file(write_yaml(tmp_path / "v1.yaml", spec("1")))
    new = load_file(write_yaml(tmp_path / "v2.yaml", spec("2", extra_property=True, **BREAKING)))
    changes = changes_between(old, new)
    assert all(isinstance(c, Change) for c in changes)
    assert [(c.rule.id, c.breaking, c.version) for c in changes] == [
        ("response-enum-value-added", True, "2"),
        ("response-property-added", False, "2"),
    ]
    assert changes_between(old, old) == []


def test_changes_across_compares_consecutive_versions_of_a_registry(tmp_path: Path) -> None:
    folder = specs_folder(
        tmp_path / "specs",
        {"1": spec("1"), "2": spec("2", **BREAKING), "3": spec("3", extra_property=True, **BREAKING)},
    )
    model = load_api(folder, strict=False).model
    steps = [
        (old.version.name, new.version.name, [c.rule.id for c in cs])
        for old, new, cs in changes_across(model)
    ]
    assert steps == [("1", "2", ["response-enum-value-added"]), ("2", "3", ["response-property-added"])]
