"""Hand-written prose and spec examples stay true to the version registry (review/stale_prose.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dicom_service.versioning.apiversion import ApiVersion
from generator.diagnostics import InputError
from generator.lifecycle.new import plan_new
from generator.lifecycle.registry_file import read_registry
from generator.registry import Registry
from generator.review.stale_prose import stale_lines, stale_prose
from tests.fixtures import ROOT, write_project


def registry() -> Registry:
    return read_registry(ROOT / "specs").registry


def test_no_page_readme_or_spec_example_contradicts_the_registry() -> None:
    assert [str(s) for s in stale_prose(ROOT, registry())] == []


def test_a_new_version_makes_an_unsupported_version_example_that_names_it_stale() -> None:
    now = registry()
    cited = now.unknown_version  # the version the examples may use as one the service does not have
    lines = [f"`GET /{cited}/studies` answers 400 `UnsupportedApiVersion`", "`GET /v2/studies` answers 200"]
    assert stale_lines("page.md", lines, now) == []
    number = ApiVersion.from_segment(cited)
    assert number is not None
    newest = now.versions[-1]
    added = dataclasses.replace(newest, name=str(number.major), segment=cited, aliases=(), number=number)
    after_new = dataclasses.replace(now, versions=(*now.versions, added))  # as after `version new`
    [stale] = stale_lines("page.md", lines, after_new)
    assert stale.line == 1 and f"cites version {number.major} as one the service does not have" in str(stale)


def test_headers_shown_in_prose_go_stale_when_a_version_is_deprecated() -> None:
    now = registry()
    supported = ", ".join(v.name for v in now.versions if not v.deprecated)
    lines = [f"api-supported-versions: {supported}"]
    assert stale_lines("page.md", lines, now) == []
    first = next(v for v in now.versions if not v.deprecated)
    deprecated = tuple(dataclasses.replace(v, deprecated=True) if v == first else v for v in now.versions)
    [stale] = stale_lines("page.md", lines, dataclasses.replace(now, versions=deprecated))
    assert f"({first.name} not among them)" in stale.message


def test_version_0_the_examples_unsupported_version_can_never_be_registered(tmp_path: Path) -> None:
    write_project(tmp_path)
    with pytest.raises(InputError, match="version 0 is kept for examples"):
        plan_new(tmp_path, "0", "2")
