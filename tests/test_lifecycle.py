"""The version lifecycle commands on small projects in a temp folder: what each writes and refuses."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from dicom_service.versioning.versions import ServiceVersion, Versions
from generator.cli import main
from generator.diagnostics import InputError
from generator.lifecycle.deprecate import plan_deprecate
from generator.lifecycle.new import plan_new
from generator.lifecycle.plan import apply
from generator.lifecycle.registry_file import read_registry
from generator.lifecycle.release import plan_release
from generator.lifecycle.retire import plan_retire
from generator.loader import load_api
from generator.mkdocs_hook import fill_nav
from generator.render import environment
from generator.render.docs import render_docs
from generator.render.docviews import current_version
from tests.fixtures import ROOT, parse_yaml, write_project


def project(tmp_path: Path) -> Path:
    write_project(tmp_path)
    return tmp_path


def registry_entries(root: Path) -> dict[str, dict[str, object]]:
    data = yaml.safe_load((root / "specs" / "versions.yaml").read_text(encoding="utf-8"))
    return {str(entry["name"]): entry for entry in data["versions"]}


def test_the_registry_file_is_written_back_exactly_as_it_is_kept() -> None:
    registry = read_registry(ROOT / "specs")
    assert registry.render() == (ROOT / "specs" / "versions.yaml").read_text(encoding="utf-8")


# --- version new ------------------------------------------------------------------------------------------


def test_new_version_is_registered_with_a_spec_copied_from_its_source(tmp_path: Path) -> None:
    root = project(tmp_path)
    source = (root / "specs" / "v2.yaml").read_text().replace("Starts an export.", "See /v2/export.")
    (root / "specs" / "v2.yaml").write_text(source)
    model = apply(root, plan_new(root, "3", "2"))
    entry = registry_entries(root)["3"]
    assert entry == {
        "name": "3",
        "segment": "v3",
        "aliases": ["v3.0"],
        "status": "prerelease",  # finished over several pull requests, then `version release`
        "deprecated": False,
        "spec": "v3.yaml",
    }
    v3 = model.spec("3")
    assert v3.document["info"]["version"] == "3" and v3.document["servers"] == [{"url": "/v3"}]
    assert v3.operation("startExport").description == "See /v3/export."
    assert list(model.specs) == ["1.0-prerelease", "1", "2", "3"]


def test_new_prerelease_is_spelled_as_the_project_spells_prereleases(tmp_path: Path) -> None:
    root = project(tmp_path)
    apply(root, plan_new(root, "3", "2", prerelease=True))
    entry = registry_entries(root)["3.0-prerelease"]
    assert (entry["segment"], entry["aliases"], entry["status"]) == (
        "v3.0-prerelease",
        ["v3-prerelease"],
        "prerelease",
    )


def test_new_refuses_a_version_that_exists_or_a_source_that_does_not(tmp_path: Path) -> None:
    root = project(tmp_path)
    with pytest.raises(InputError, match=r"version 2.0 is already registered \(as 2\)"):
        plan_new(root, "2.0", "1")
    with pytest.raises(
        InputError, match=r"--from 7: no such version is served \(served: 1.0-prerelease, 1, 2\)"
    ):
        plan_new(root, "3", "7")


def test_new_writes_nothing_when_the_project_it_would_leave_is_invalid(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "specs" / "v1.yaml").write_text("openapi: 3.0.3\ninfo: {title: broken, version: '1'}\n")
    before = (root / "specs" / "versions.yaml").read_text()
    with pytest.raises(InputError):
        apply(root, plan_new(root, "3", "2"))
    assert not (root / "specs" / "v3.yaml").exists()
    assert (root / "specs" / "versions.yaml").read_text() == before


# --- version deprecate ------------------------------------------------------------------------------------


def test_deprecate_records_the_dates_the_headers_are_made_from(tmp_path: Path) -> None:
    root = project(tmp_path)
    plan = plan_deprecate(root, "1", sunset="2028-06-30", today=dt.date(2026, 11, 29))
    apply(root, plan)
    entry = registry_entries(root)["1"]
    assert (entry["deprecated"], entry["deprecation"], entry["sunset"]) == (True, "2026-11-29", "2028-06-30")
    v1 = load_api(root / "specs").model.registry.get("1")
    assert v1.deprecated and v1.sunset == dt.date(2028, 6, 30)
    assert "after 2028-06-30: python -m generator version retire 1" in plan.report()


@pytest.mark.parametrize(
    ("name", "sunset", "deprecation", "message"),
    [
        ("7", "2028-06-30", None, "no served version is named '7'"),
        ("1", "30/06/2028", None, "--sunset '30/06/2028' is not a date"),
        ("1", "2026-01-01", "2027-01-01", "must come after the deprecation date 2027-01-01"),
        ("2", "2028-06-30", None, "version 2 is the last version that is not deprecated"),
    ],
)
def test_deprecate_refuses_what_would_mislead_clients(
    tmp_path: Path, name: str, sunset: str, deprecation: str | None, message: str
) -> None:
    root = project(tmp_path)
    if name == "2":
        apply(root, plan_deprecate(root, "1", sunset="2028-01-01"))
    with pytest.raises(InputError, match=message):
        plan_deprecate(root, name, sunset=sunset, deprecation=deprecation)


# --- version retire ---------------------------------------------------------------------------------------


def test_retire_stops_serving_the_version_and_keeps_its_entry(tmp_path: Path) -> None:
    root = project(tmp_path)
    apply(root, plan_retire(root, "1.0-prerelease", today=dt.date(2027, 7, 1)))
    assert not (root / "specs" / "v1.0-prerelease.yaml").exists()
    entry = registry_entries(root)["1.0-prerelease"]
    assert entry["retired"] == "2027-07-01" and "spec" not in entry
    model = load_api(root / "specs").model
    assert list(model.specs) == ["1", "2"]
    assert [v.name for v in model.registry.retired] == ["1.0-prerelease"]
    assert model.registry.unknown_version == "v3"
    served = Versions(
        [ServiceVersion(v.name, v.url_segments, v.prerelease, v.deprecated) for v in model.registry.versions],
        model.registry.policy_url,
    )
    assert served.resolve("v1.0-prerelease") is None  # answered 400 UnsupportedApiVersion


def test_a_retired_version_keeps_a_short_entry_on_the_site_and_leaves_its_navigation(tmp_path: Path) -> None:
    root = project(tmp_path)
    apply(root, plan_retire(root, "1.0-prerelease", today=dt.date(2027, 7, 1)))
    model = load_api(root / "specs").model
    trees, files = render_docs(model, environment(ROOT / "templates"))
    versions_page = files["site/versions.md"].decode()
    assert "**Retired** (no longer served" in versions_page
    assert (
        "`1.0-prerelease` (`/v1.0-prerelease/`, `/v1-prerelease/`; retired 2027-07-01, sunset 2027-06-30)"
        in (versions_page)
    )
    assert "v1.0-prerelease.md" not in trees["site/conformance"]
    nav = fill_nav([{"Conformance": []}, {"API reference": ["api/index.md"]}], model.registry.versions)
    assert nav == [
        {"Conformance": ["conformance/v2.md", "conformance/v1.md"]},
        {"API reference": ["api/index.md", "api/v2.md", "api/v1.md"]},
    ]


def test_retire_refuses_before_the_sunset_and_for_a_version_never_deprecated(tmp_path: Path) -> None:
    root = project(tmp_path)
    with pytest.raises(InputError, match="has its sunset on 2027-06-30"):
        plan_retire(root, "1.0-prerelease", today=dt.date(2026, 11, 29))
    with pytest.raises(InputError, match="version 1 is not deprecated; deprecate it first"):
        plan_retire(root, "1", today=dt.date(2026, 11, 29))
    plan_retire(root, "1.0-prerelease", before_sunset=True, today=dt.date(2026, 11, 29))  # on purpose


def test_retire_names_handler_modules_that_served_only_that_version(tmp_path: Path) -> None:
    root = project(tmp_path)
    apply(root, plan_deprecate(root, "1", sunset="2027-01-01", deprecation="2026-01-01"))
    v2 = parse_yaml((root / "specs" / "v2.yaml").read_text())
    del v2["paths"]["/export"]
    (root / "specs" / "v2.yaml").write_text(yaml.safe_dump(v2, sort_keys=False))
    plan = plan_retire(root, "1", today=dt.date(2027, 1, 2))
    assert (
        "delete the handler module(s) that served only version 1: dicom_service/handlers/start_export.py"
        in (plan.report())
    )


# --- version release -------------------------------------------------------------------------------------


def test_release_promotes_a_prerelease_with_its_date_and_the_site_recommends_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    apply(root, plan_new(root, "3", "2"))
    assert current_version(load_api(root / "specs").model).name == "2"  # never recommended as a prerelease
    model = apply(root, plan_release(root, "3", "2027-01-15"))
    entry = registry_entries(root)["3"]
    assert (entry["status"], entry["released"]) == ("released", "2027-01-15")
    assert current_version(model).name == "3"


def test_release_refuses_a_released_version_and_a_labelled_prerelease(tmp_path: Path) -> None:
    root = project(tmp_path)
    with pytest.raises(InputError, match=r"version 2 is released already"):
        plan_release(root, "2")
    with pytest.raises(InputError, match=r"release it under a name without the label: .* new 1 --from"):
        plan_release(root, "1.0-prerelease")
    with pytest.raises(InputError, match=r"--date '2027-13-01' is not a date"):
        apply(root, plan_new(root, "3", "2"))
        plan_release(root, "3", "2027-13-01")


# --- the command line -------------------------------------------------------------------------------------


def test_commands_print_what_they_changed_and_what_to_do_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    assert main(["--root", str(root), "version", "new", "3", "--from", "2"]) == 0
    out = capsys.readouterr().out
    assert "registered version 3 in specs/versions.yaml (prerelease, URL /v3/, also /v3.0/)" in out
    assert "when it is complete: make version-release NAME=3" in out
    assert "Next:\n  1. edit specs/v3.yaml" in out and "make generate" in out


def test_a_refused_command_reports_the_reason_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    before = {p.name: p.read_bytes() for p in (root / "specs").iterdir()}
    assert main(["--root", str(root), "version", "deprecate", "2", "--sunset", "2020-01-01"]) == 2
    err = capsys.readouterr().err
    assert "specs/versions.yaml: error [version-command] --sunset 2020-01-01 must come after" in err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in (root / "specs").iterdir()} == before


def test_dry_run_checks_and_prints_but_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    assert main(["--root", str(root), "version", "new", "3", "--from", "2", "--dry-run"]) == 0
    assert "dry run: nothing written" in capsys.readouterr().out
    assert not (root / "specs" / "v3.yaml").exists()


def test_next_major_version_of_the_real_specs_loads_with_every_rule(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    (ROOT / "build").mkdir(exist_ok=True)  # absent in a fresh clone
    (tmp_path / "build").symlink_to(ROOT / "build", target_is_directory=True)  # the validation cache
    newest = read_registry(ROOT / "specs").registry.versions[-1]
    name = str(newest.number.major + 1)
    model = apply(tmp_path, plan_new(tmp_path, name, newest.name))  # loaded with every lint rule
    text = (tmp_path / "specs" / f"v{name}.yaml").read_text()
    assert f"/{newest.segment}/" not in text and f"/v{name}/studies" in text
    operations = {op.operation_id for op in model.spec(name).operations}
    assert operations == {op.operation_id for op in model.spec(newest.name).operations}


def test_the_site_navigation_lists_every_served_version_newest_first() -> None:
    registry = read_registry(ROOT / "specs").registry
    settings = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert "generator/mkdocs_hook.py" in settings["hooks"]
    nav = {
        title: children
        for item in fill_nav(settings["nav"], registry.versions)
        for title, children in (item.items() if isinstance(item, dict) else [])
    }
    newest_first = [v.slug for v in reversed(registry.versions)]
    assert nav["Conformance"] == [f"conformance/{slug}.md" for slug in newest_first]
    assert nav["API reference"] == ["api/index.md", *(f"api/{slug}.md" for slug in newest_first)]
