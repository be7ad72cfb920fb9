"""The migration guide: each change once, under the declared change that names it or as its own row, a
concrete action for every breaking row, and what a released version gained after its release kept apart."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from generator.loader import load_api
from generator.render import environment
from generator.render.docs import render_docs
from generator.render.migration_actions import ACTIONS
from generator.render.whats_new import read_record, whats_new
from generator.review.policy import RULES
from tests.fixtures import ROOT, spec, write_project

GENERIC = "Check that your client handles the new contract."


def _both(document: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The operation at path and its partition twin (the lint rule keeps their contracts equal)."""
    return [document["paths"][path]["get"], document["paths"]["/partitions/{partitionName}" + path]["get"]]


def _oldestfirst(document: dict[str, Any]) -> None:
    for op in _both(document, "/studies"):
        op["parameters"].append(
            {
                "name": "oldestfirst",
                "in": "query",
                "description": "Oldest first.",
                "schema": {"type": "boolean"},
            }
        )


def v2_with_changes() -> dict[str, Any]:
    v2 = spec("2", "v2")
    _oldestfirst(v2)  # an addition, in an operation a declared change names without naming the parameter
    v2["components"]["parameters"]["limit"]["schema"]["maximum"] = 150  # breaking: tighter bound
    export = v2["paths"]["/export"]["post"]
    export["responses"]["200"] = export["responses"].pop("202")  # breaking: success status changed
    v2["x-behaviour-changes"] = [
        {
            "id": "search-ranking",
            "summary": "Searches rank studies by date.",
            "operations": ["searchStudies"],
            "affects": "Clients that read results in order.",
            "action": "Sort the results yourself.",
        },
        {
            "id": "export-synchronous",
            "summary": "Export answers 200 once the copy is done, not 202.",
            "operations": ["startExport"],
            "affects": "Clients that poll export operations.",
            "action": "Read the result from the 200 answer.",
        },
    ]
    return v2


def v1_with_404() -> dict[str, Any]:
    v1 = spec("1", "v1")
    for op in _both(v1, "/studies"):
        op["responses"]["404"] = copy.deepcopy(op["responses"]["403"])  # gone in version 2: breaking
    return v1


def guide(specs: Path, **news: Any) -> str:
    pages = render_docs(load_api(specs).model, environment(ROOT / "templates"), **news)[1]
    return pages["site/migration.md"].decode()


@pytest.fixture(scope="module")
def changed_guide(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The guide of a v2 with changes of every placement: the two tests below read the same page."""
    return guide(write_project(tmp_path_factory.mktemp("guide"), v1=v1_with_404(), v2=v2_with_changes()))


def table(text: str, step: str) -> list[str]:
    section = text.split(f"## Migrate from {step}")[1].split("??? note")[0]
    return [
        line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| Breaking?")
    ]


def test_each_change_is_listed_once_under_what_it_belongs_to(changed_guide: str) -> None:
    rows = table(changed_guide, "v1 to v2")
    ranking = next(r for r in rows if "`search-ranking`" in r)
    # The declaration names searchStudies but none of these changes: they are rows of their own.
    for change in ("oldestfirst", "status 404", "maximum 200 → 150"):
        assert change not in ranking
        assert sum(change in r for r in rows) == 1, change
    export = next(r for r in rows if "`export-synchronous`" in r)
    assert "success status 202 → 200" in export  # the declaration names 202: it belongs there, once
    assert sum("success status 202 → 200" in r for r in rows) == 1
    assert len(rows) == len(set(rows))


def test_every_breaking_row_says_concretely_what_to_do(changed_guide: str) -> None:
    text = changed_guide
    assert GENERIC not in text
    breaking = [r for r in table(text, "v1 to v2") if r.startswith("| **Breaking**")]
    assert len(breaking) == 4  # the two declared changes, the removed status, the tighter bound
    for row in breaking:
        action = row.rstrip(" |").rsplit(" | ", 1)[-1]
        assert action and action not in ("Nothing.", GENERIC), row
    status = next(r for r in breaking if "status 404 removed" in r)
    assert "Stop expecting 404 here: version 2 answers with 200, 400, 401, 403 only." in status
    bound = next(r for r in breaking if "maximum 200 → 150" in r)
    assert (
        "Send only values of query parameter limit within maximum 150; version 2 refuses others with 400."
        in bound
    )


def test_every_breaking_kind_the_review_reports_in_an_operation_has_an_action() -> None:
    document_level = {"version-removed", "endpoint-removed", "behaviour-change-declared"}
    kinds = {r.id for r in RULES if r.breaking is not False} - document_level
    assert kinds - set(ACTIONS) == set()


def test_additions_to_a_released_version_are_dated_whats_new_not_a_migration_step(tmp_path: Path) -> None:
    specs = write_project(tmp_path)
    first = whats_new(load_api(specs).model, specs, dt.date(2027, 1, 4))
    assert sorted(first.baselines) == ["specs/released/v1.json", "specs/released/v2.json"]
    for path, data in first.baselines.items():  # what `make generate` creates once, as the versions stand
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_bytes(data)
    (specs / "whats-new.yaml").write_bytes(first.record)
    assert read_record(specs / "whats-new.yaml") == {}

    v2 = spec("2", "v2")
    _oldestfirst(v2)  # merged into released version 2 on 2027-02-01
    write_project(tmp_path, v2=v2)
    news = whats_new(load_api(specs).model, specs, dt.date(2027, 2, 1))
    (specs / "whats-new.yaml").write_bytes(news.record)
    later = whats_new(load_api(specs).model, specs, dt.date(2027, 3, 9))
    assert later.record == news.record  # the day it was first seen stays
    recorded = read_record(specs / "whats-new.yaml")["2"]
    assert [(a.date, a.operation, a.rule) for a in recorded] == [
        ("2027-02-01", "GET /studies", "parameter-added"),
        ("2027-02-01", "GET /partitions/{partitionName}/studies", "parameter-added"),
    ]
    text = guide(specs, news=later)
    whats, steps = text.split("## Migrate from v1 to v2")
    assert "### Version 2" in whats and "**2027-02-01**" in whats and "oldestfirst" in whats
    assert "oldestfirst" not in steps  # not something a client of version 1 must handle to move

    write_project(tmp_path)  # the addition is taken back before anyone relied on it
    assert read_record_bytes(whats_new(load_api(specs).model, specs, dt.date(2027, 3, 9)).record) == {}


def read_record_bytes(data: bytes) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(data) or {}
