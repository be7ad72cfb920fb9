"""Waivers: one accepted breaking change each, reported as waived; unused ones reported as stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.review.waivers import load_waivers
from tests.review.helpers import BREAKING, REPO, STATUS_ENUM, review, spec, specs_folder, write_yaml


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return write_yaml(tmp_path / "base.yaml", spec("1")), write_yaml(
        tmp_path / "head.yaml", spec("1", **BREAKING)
    )


def _waivers(tmp_path: Path, *entries: dict[str, object]) -> Path:
    return write_yaml(tmp_path / "waivers.yaml", {"waivers": list(entries)})


WAIVER = {
    "rule": "response-enum-value-added",
    "location": STATUS_ENUM,
    "reason": "clients treat unknown as running",
}


def test_a_waived_breaking_change_is_reported_as_waived_and_passes(
    tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    waivers = _waivers(tmp_path, WAIVER)
    run = review(*pair, "--waivers", waivers, "--format", "json")
    assert run.code == 0
    assert run.json["verdict"] == "allowed" and run.json["breaking"] is True
    (change,) = run.json["changes"]
    assert change["waived"] is True and change["waiver_reason"] == WAIVER["reason"]
    assert run.json["stale_waivers"] == []
    text = review(*pair, "--waivers", waivers).out
    assert "WAIVED" in text and WAIVER["reason"] in text


def test_a_waiver_for_another_version_does_not_apply(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    run = review(*pair, "--waivers", _waivers(tmp_path, {**WAIVER, "version": "7"}), "--format", "json")
    assert run.code == 1
    assert run.json["changes"][0]["waived"] is False
    assert [w["version"] for w in run.json["stale_waivers"]] == ["7"]


def test_a_waiver_that_matches_nothing_is_reported_as_stale(tmp_path: Path) -> None:
    base = write_yaml(tmp_path / "base.yaml", spec("1"))
    waivers = _waivers(tmp_path, WAIVER)
    run = review(base, base, "--waivers", waivers)
    assert run.code == 0
    assert (
        f"stale waiver {waivers}:2: response-enum-value-added at {STATUS_ENUM} matches no change" in run.out
    )
    assert "stale waiver" in review(base, base, "--waivers", waivers, "--format", "markdown").out


def test_the_waiver_file_beside_the_head_specs_is_used_by_default(tmp_path: Path) -> None:
    base = specs_folder(tmp_path / "base", {"1": spec("1")})
    head = specs_folder(tmp_path / "head", {"1": spec("1", **BREAKING)})
    assert review(base, head).code == 1
    write_yaml(head / "review-waivers.yaml", {"waivers": [WAIVER]})
    run = review(base, head, "--format", "json")
    assert run.code == 0 and run.json["changes"][0]["waived"] is True


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"waivers": [{k: v for k, v in WAIVER.items() if k != "reason"}]}, "`reason` is required"),
        ({"waivers": [{**WAIVER, "reason": "  "}]}, "`reason` is required"),
        ({"waivers": [{**WAIVER, "rule": "no-such-rule"}]}, "rule id of the policy table"),
        ({"waivers": [{**WAIVER, "rule": "response-property-added"}]}, "not a breaking rule"),
        ({"waivers": [{**WAIVER, "location": "components/x"}]}, "JSON pointer"),
        ({"waivers": [{**WAIVER, "expires": "2030"}]}, "unknown field 'expires'"),
        ({"waivers": [WAIVER, WAIVER]}, "a second waiver"),
        ({"waivers": {"rule": "x"}}, "`waivers` must be a list"),
        ({"other": []}, "one key, `waivers`"),
    ],
)
def test_a_malformed_waiver_file_is_bad_input(
    tmp_path: Path, pair: tuple[Path, Path], content: object, message: str
) -> None:
    waivers = write_yaml(tmp_path / "waivers.yaml", content)
    run = review(*pair, "--waivers", waivers)
    assert run.code == 2
    assert str(waivers) in run.err and message in run.err


def test_a_waiver_file_that_is_not_yaml_or_missing_is_bad_input(
    tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    broken = tmp_path / "waivers.yaml"
    broken.write_text("waivers: [\n")
    run = review(*pair, "--waivers", broken)
    assert run.code == 2 and str(broken) in run.err
    run = review(*pair, "--waivers", tmp_path / "absent.yaml")
    assert run.code == 2 and "waiver file does not exist" in run.err


def test_the_committed_waiver_file_is_valid() -> None:
    path = REPO / "specs" / "review-waivers.yaml"
    assert path.read_text().startswith("# "), "the file explains its format in a header comment"
    for waiver in load_waivers(path):
        assert waiver.reason
