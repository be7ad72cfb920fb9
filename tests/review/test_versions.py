"""Version awareness: a breaking change is allowed in a prerelease or a new major version, never in place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.review.helpers import BREAKING, review, spec, specs_folder, write_yaml


def _files(tmp_path: Path, base_version: str, head_version: str) -> tuple[Path, Path]:
    base = write_yaml(tmp_path / "base.yaml", spec(base_version))
    head = write_yaml(tmp_path / "head.yaml", spec(head_version, **BREAKING))
    return base, head


def test_a_breaking_change_without_a_new_major_version_fails_and_names_the_version_needed(
    tmp_path: Path,
) -> None:
    run = review(*_files(tmp_path, "1", "1"))
    assert run.code == 1
    assert "publish it as version 2" in run.out
    data = review(*_files(tmp_path, "1", "1"), "--format", "json").json
    assert data["breaking"] is True and data["verdict"] == "violation"
    assert data["violations"] == [
        "breaking change without a new major version: head.yaml (info.version 1) keeps major 1 of "
        "base.yaml (1); publish it as version 2"
    ]


def test_a_minor_version_bump_does_not_allow_a_breaking_change(tmp_path: Path) -> None:
    assert review(*_files(tmp_path, "1.0", "1.1")).code == 1


def test_a_new_major_version_allows_the_breaking_change_but_it_is_still_breaking(tmp_path: Path) -> None:
    run = review(*_files(tmp_path, "1", "2"), "--format", "json")
    assert run.code == 0
    assert run.json["breaking"] is True and run.json["verdict"] == "allowed"
    change = run.json["changes"][0]
    assert change["breaking"] is True and change["exempt"] is True and change["exemption"] == "new-major"


def test_a_prerelease_label_allows_breaking_changes_and_is_not_breaking(tmp_path: Path) -> None:
    for head_version in ("2.0.0-beta.1", "1.0-prerelease"):
        run = review(*_files(tmp_path, "1", head_version), "--format", "json")
        assert run.code == 0, head_version
        assert run.json["breaking"] is False, head_version
        assert run.json["changes"][0]["exemption"] == "prerelease"


def test_changes_relative_to_a_prerelease_base_are_allowed(tmp_path: Path) -> None:
    run = review(*_files(tmp_path, "1.0-prerelease", "1"), "--format", "json")
    assert run.code == 0 and run.json["breaking"] is False


def test_a_breaking_change_in_a_released_version_of_a_folder_needs_the_next_major(tmp_path: Path) -> None:
    base = specs_folder(tmp_path / "base", {"1": spec("1"), "2": spec("2")})
    head = specs_folder(tmp_path / "head", {"1": spec("1", **BREAKING), "2": spec("2")})
    run = review(base, head)
    assert run.code == 1
    assert (
        "breaking change in released version 1: publish it as version 3 (a new spec + registry entry)"
        in run.out
    )


def test_a_breaking_change_in_a_prerelease_version_of_a_folder_is_allowed(tmp_path: Path) -> None:
    base = specs_folder(tmp_path / "base", {"1.0-prerelease": spec("1.0-prerelease"), "1": spec("1")})
    head = specs_folder(
        tmp_path / "head", {"1.0-prerelease": spec("1.0-prerelease", **BREAKING), "1": spec("1")}
    )
    run = review(base, head, "--format", "json")
    assert run.code == 0
    assert run.json["breaking"] is False
    assert [v["exemption"] for v in run.json["versions"]] == ["prerelease", None]


def test_a_new_version_is_reported_and_not_breaking(tmp_path: Path) -> None:
    base = specs_folder(tmp_path / "base", {"1": spec("1")})
    head = specs_folder(tmp_path / "head", {"1": spec("1"), "2": spec("2", **BREAKING)})
    run = review(base, head, "--format", "json")
    assert run.code == 0 and run.json["breaking"] is False
    assert [(c["rule"], c["version"], c["exemption"]) for c in run.json["changes"]] == [
        ("response-enum-value-added", "1 → 2", "new-major"),  # what clients of 1 meet when they move
        ("version-added", "2", None),
    ]
    assert [(v["version"], v["against"], v["status"]) for v in run.json["versions"]] == [
        ("1", None, "compared"),
        ("2", None, "added"),
        ("2", "1", "against-predecessor"),
    ]
    text = review(base, head).out
    assert "version 2 against version 1: 1 change(s), 1 breaking (allowed: new major version)" in text
    markdown = review(base, head, "--format", "markdown").out
    assert "**Version 2 against version 1: 1 change(s), 1 breaking (allowed: new major version)" in markdown


def test_a_new_minor_version_that_breaks_its_predecessor_is_refused(tmp_path: Path) -> None:
    base = specs_folder(tmp_path / "base", {"1": spec("1")})
    head = specs_folder(tmp_path / "head", {"1": spec("1"), "1.1": spec("1.1", **BREAKING)})
    run = review(base, head, "--format", "json")
    assert run.code == 1
    assert run.json["violations"] == [
        "version 1.1 breaks clients of version 1 that move to it: a breaking change needs a new major "
        "version (2)"
    ]


def test_an_edited_prerelease_is_compared_with_its_predecessor_too(tmp_path: Path) -> None:
    prerelease = {"2": {"status": "prerelease"}}
    base = specs_folder(tmp_path / "base", {"1": spec("1"), "2": spec("2")}, prerelease)
    head = specs_folder(tmp_path / "head", {"1": spec("1"), "2": spec("2", **BREAKING)}, prerelease)
    run = review(base, head, "--format", "json")
    assert run.code == 0
    assert sorted((c["version"], c["exemption"]) for c in run.json["changes"]) == [
        ("1 → 2", "new-major"),
        ("2", "prerelease"),
    ]
    untouched = review(base, base, "--format", "json").json  # a PR that leaves the prerelease alone
    assert untouched["changes"] == [] and all(v["against"] is None for v in untouched["versions"])


def test_a_release_and_a_deprecation_are_reported_and_not_breaking(tmp_path: Path) -> None:
    versions = {"1": spec("1"), "2": spec("2", **BREAKING)}
    base = specs_folder(tmp_path / "base", versions, {"2": {"status": "prerelease"}})
    lifecycle = {
        "1": {"deprecated": True, "deprecation": "2027-01-01", "sunset": "2028-01-01"},
        "2": {"released": "2027-01-01"},
    }
    head = specs_folder(tmp_path / "head", versions, lifecycle)
    run = review(base, head, "--format", "json")
    assert run.code == 0 and run.json["breaking"] is False
    assert sorted((c["rule"], c["version"]) for c in run.json["changes"]) == [
        ("response-enum-value-added", "1 → 2"),
        ("version-deprecated", "1"),
        ("version-released", "2"),
    ]


def test_removing_a_supported_version_fails(tmp_path: Path) -> None:
    base = specs_folder(tmp_path / "base", {"1": spec("1"), "2": spec("2")})
    head = specs_folder(tmp_path / "head", {"2": spec("2")})
    run = review(base, head)
    assert run.code == 1
    assert "version 1 removed while it is supported" in run.out


def test_removing_a_deprecated_version_waits_for_its_sunset(tmp_path: Path) -> None:
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    for sunset, code in (("2020-01-01", 0), (future, 1)):
        deprecated = {"1": {"deprecated": True, "deprecation": "2019-06-01", "sunset": sunset}}
        base = specs_folder(tmp_path / sunset / "base", {"1": spec("1"), "2": spec("2")}, deprecated)
        head = specs_folder(tmp_path / sunset / "head", {"2": spec("2")})
        run = review(base, head)
        assert run.code == code, run.out
        if code:
            assert f"before its sunset date {sunset}" in run.out


def test_removing_a_prerelease_version_is_allowed(tmp_path: Path) -> None:
    base = specs_folder(tmp_path / "base", {"1.0-prerelease": spec("1.0-prerelease"), "1": spec("1")})
    head = specs_folder(tmp_path / "head", {"1": spec("1")})
    assert review(base, head).code == 0
