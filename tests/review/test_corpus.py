"""The corpus: small base/head pairs with the verdict the versioning policy gives them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.refs import resolve_pointer
from generator.review.policy import RULES
from tests.review.helpers import CORPUS, review

CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())


def _sides(case: Path) -> tuple[Path, Path]:
    if (case / "base.yaml").is_file():
        return case / "base.yaml", case / "head.yaml"
    return case / "base", case / "head"


def _expected(case: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((case / "expected.yaml").read_text())
    return data


def _verdict(change: dict[str, Any]) -> bool | str:
    return "warning" if change["severity"] == "warning" else bool(change["breaking"])


def test_the_corpus_has_at_least_40_cases_and_look_alikes() -> None:
    assert len(CASES) >= 40
    look_alikes = [c for c in CASES if not _expected(c)["changes"]]
    assert len(look_alikes) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_reports_exactly_the_expected_changes_and_exit_code(case: Path) -> None:
    expected = _expected(case)
    run = review(*_sides(case), "--format", "json")
    assert run.code == expected["exit"], run.out + run.err
    got = Counter((c["rule"], c["direction"], _verdict(c)) for c in run.json["changes"])
    want = Counter((c["rule"], c["direction"], c["breaking"]) for c in expected["changes"])
    assert got == want
    for change in (c for c in expected["changes"] if "operations" in c):  # one finding, every place listed
        (found,) = [
            c
            for c in run.json["changes"]
            if (c["rule"], c["direction"]) == (change["rule"], change["direction"])
        ]
        assert (len({o["operation"] for o in found["operations"]}), len(found["parts"])) == (
            change["operations"],
            change["parts"],
        )
    codes = {w["code"] for w in run.json.get("warnings", [])}
    assert codes == set(expected.get("warnings", [])), run.json.get("warnings")


@pytest.mark.parametrize("case", [c for c in CASES if (c / "base.yaml").is_file()], ids=lambda c: c.name)
def test_every_location_is_a_pointer_into_the_document_it_names(case: Path) -> None:
    base, head = (yaml.safe_load(p.read_text()) for p in _sides(case))
    for change in review(*_sides(case), "--format", "json").json["changes"]:
        document = head if change["document"] == "head" else base
        resolve_pointer(document, change["location"])  # KeyError when the pointer does not resolve


def test_every_rule_is_exercised_in_each_of_its_directions() -> None:
    seen = {(c["rule"], c["direction"]) for case in CASES for c in _expected(case)["changes"]}
    missing = [(r.id, d) for r in RULES for d in r.directions if (r.id, d) not in seen]
    assert missing == []


def test_expected_verdicts_agree_with_the_policy_table() -> None:
    table = {r.id: r.breaking for r in RULES}
    for case in CASES:
        for change in _expected(case)["changes"]:
            assert change["breaking"] == table[change["rule"]], (case.name, change)
