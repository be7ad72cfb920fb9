"""Declared behaviour changes: the loader checks them, the review counts new ones as breaking, the migration
guide flags each as breaking, and the service's tests can only name ids that a spec declares."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from generator.diagnostics import InputError
from generator.loader import load_api
from generator.render import environment
from generator.render.changelog import version_changes
from generator.render.docs import render_docs
from generator.render.migration import migration_step
from generator.review.changes import changes_between
from tests.fixtures import ROOT, real_model, spec, write_project

STATUS = {
    "id": "stow-202-on-warnings",
    "summary": "Store answers 202 when an instance carries a warning.",
    "operations": ["searchStudies"],
    "affects": "Clients that treat only 200 as success.",
    "action": "Treat 202 as stored with problems.",
}


def with_changes(*entries: dict[str, Any]) -> dict[str, Any]:
    document = spec("2", "v2")
    document["x-behaviour-changes"] = list(entries)
    return document


def test_a_declared_change_is_read_into_the_model(tmp_path: Path) -> None:
    model = load_api(write_project(tmp_path, v2=with_changes(STATUS))).model
    (change,) = model.spec("2").behaviour_changes
    assert (change.id, change.operations, change.was) == ("stow-202-on-warnings", ("searchStudies",), "")
    assert model.spec("1").behaviour_changes == ()


def test_malformed_declarations_are_reported_with_their_pointer(tmp_path: Path) -> None:
    bad_id = STATUS | {"id": "Not Kebab"}
    unknown_op = STATUS | {"id": "unknown-op", "operations": ["noSuchOperation"]}
    no_action = {k: v for k, v in STATUS.items() if k != "action"} | {"id": "no-action"}
    document = with_changes(STATUS, STATUS, bad_id, unknown_op, no_action)
    with pytest.raises(InputError) as caught:
        load_api(write_project(tmp_path, v2=document))
    found = {(d.pointer, d.message) for d in caught.value.diagnostics if d.code == "behaviour-change"}
    assert ("/x-behaviour-changes/1/id", "id 'stow-202-on-warnings' is declared twice") in found
    assert any(p == "/x-behaviour-changes/2" and "kebab-case" in m for p, m in found)
    assert ("/x-behaviour-changes/3/operations/0", "no operation 'noSuchOperation' here") in found
    assert any(p == "/x-behaviour-changes/4" and "action" in m for p, m in found)


def test_the_review_counts_a_newly_declared_change_as_breaking(tmp_path: Path) -> None:
    model = load_api(write_project(tmp_path, v1=spec("1", "v1"), v2=with_changes(STATUS))).model
    declared = [
        c
        for c in changes_between(model.spec("1"), model.spec("2"))
        if c.rule.id == "behaviour-change-declared"
    ]
    assert [(c.breaking, c.location) for c in declared] == [(True, "/x-behaviour-changes/0")]
    assert "stow-202-on-warnings" in declared[0].message


def test_a_change_carried_on_to_the_next_version_is_not_new(tmp_path: Path) -> None:
    v1 = spec("1", "v1")
    v1["x-behaviour-changes"] = [STATUS]
    model = load_api(write_project(tmp_path, v1=v1, v2=with_changes(STATUS))).model
    review = changes_between(model.spec("1"), model.spec("2"))
    assert not [c for c in review if c.rule.id == "behaviour-change-declared"]
    assert version_changes(model, "1", "2").declared == ()
    assert [c.id for c in version_changes(model, "1.0-prerelease", "1").declared] == ["stow-202-on-warnings"]


def test_the_migration_guide_puts_every_declared_change_first_as_breaking(tmp_path: Path) -> None:
    model = load_api(write_project(tmp_path, v2=with_changes(STATUS | {"was": "200 OK."}))).model
    step = migration_step(version_changes(model, "1", "2"))
    first = step.rows[0]
    assert (first.key, first.verdict, first.declared, first.was) == (
        "stow-202-on-warnings",
        "breaking",
        True,
        "200 OK.",
    )
    text = render_docs(model, environment(ROOT / "templates"))[1]["site/migration.md"].decode()
    row = next(line for line in text.splitlines() if "`stow-202-on-warnings`" in line)
    assert row.startswith("| **Breaking** | `stow-202-on-warnings`<br>Store answers 202")
    assert "**Before:** 200 OK." in row and "Treat 202 as stored with problems." in row


def test_the_real_v2_declares_every_v1_to_v2_behaviour_change() -> None:
    model = real_model()
    declared = {c.id for c in version_changes(model, "1", "2").declared}
    assert declared == {
        "stow-lenient-validation",
        "stow-202-on-warnings",
        "patientid-may-be-empty",
        "stow-invalid-attributes-not-searchable",
        "qido-default-attributes-reduced",
        "changefeed-time-window",
        "operation-status-succeeded",
        "bulk-update-v2-only",
    }


MARKER = re.compile(r"""mark\.behaviour_change\(\s*["']([^"']+)["']""")


def test_tests_name_only_declared_behaviour_changes() -> None:
    """`@pytest.mark.behaviour_change("stow-202-on-warnings")` marks the test proving a declared change."""
    model = real_model()
    declared = {c.id for s in model.specs.values() for c in s.behaviour_changes}
    named = {
        (path.name, name)
        for path in (ROOT / "tests").rglob("test_*.py")
        for name in MARKER.findall(path.read_text(encoding="utf-8"))
    }
    unknown = sorted((file, name) for file, name in named if name not in declared)
    assert not unknown, f"tests name behaviour changes no spec declares: {unknown}"


# A declared change the contract cannot show; the Behaviour field that implements it is named in its comment.
FIELD = re.compile(r"^    # ([a-z0-9-]+(?:, [a-z0-9-]+)*):", re.M)
BEHAVIOUR_MODULE = ROOT / "dicom_service" / "kernel" / "behaviour.py"


def test_every_declared_behaviour_change_has_its_behaviour_field_and_a_test() -> None:
    """The other direction: a change a spec declares is implemented in one place and proven by a test."""
    model = real_model()
    declared = {c.id for s in model.specs.values() for c in s.behaviour_changes}
    fields = {
        i for found in FIELD.findall(BEHAVIOUR_MODULE.read_text(encoding="utf-8")) for i in found.split(", ")
    }
    tested = {
        name
        for path in (ROOT / "tests").rglob("test_*.py")
        for name in MARKER.findall(path.read_text(encoding="utf-8"))
    }
    assert sorted(declared - fields) == [], (
        f"declared with no Behaviour field naming it in {BEHAVIOUR_MODULE.name}"
    )
    assert sorted(declared - tested) == [], "declared with no test marked @pytest.mark.behaviour_change(id)"
    assert sorted(fields - declared) == [], "Behaviour fields name changes no spec declares"
