"""A retired version's URL: 400 UnsupportedApiVersion, as the policy says, naming the version to move to."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from dicom_service.app import create_app
from dicom_service.generated import manifest
from dicom_service.versioning.versions import RetiredVersion, Versions
from generator.lifecycle.plan import apply
from generator.lifecycle.retire import plan_retire
from generator.loader import load_api
from generator.mkdocs_hook import fill_nav
from generator.registry import Registry, Version
from tests.fixtures import write_project

RETIRED = RetiredVersion(name="0", segments=("v0", "v0.0"), retired=dt.date(2020, 1, 31))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    patch = pytest.MonkeyPatch()
    patch.setattr(manifest, "RETIRED", (*manifest.RETIRED, RETIRED))
    try:
        with TestClient(create_app(mock=True)) as client:
            yield client
    finally:
        patch.undo()


def _message(response: object) -> str:
    body = json.loads(response.content)  # type: ignore[attr-defined]
    assert body["error"]["code"] == "UnsupportedApiVersion"
    return str(body["error"]["message"])


def test_a_retired_versions_url_answers_400_naming_the_version_to_move_to(client: TestClient) -> None:
    recommended = next(v for v in manifest.VERSIONS if v.name == manifest.RECOMMENDED)
    for segment in RETIRED.segments:
        response = client.get(f"/{segment}/studies")
        assert response.status_code == 400
        message = _message(response)
        assert message.startswith(f"The HTTP resource that matches the request URI '{response.url}'")
        assert f"Version 0 was retired on 2020-01-31; use version {recommended.name} " in message
        assert f"(/{recommended.segments[0]}/)" in message


def test_a_version_that_never_existed_says_only_it_is_unsupported(client: TestClient) -> None:
    newest = max(v.number.major for v in Versions(manifest.VERSIONS, manifest.POLICY_URL).all)
    response = client.get(f"/v{newest + 1}/studies")
    assert response.status_code == 400
    assert "retired" not in _message(response)


def test_the_version_to_move_to_is_the_newest_released_one_not_deprecated() -> None:
    def version(name: str, status: str = "released", deprecated: bool = False) -> Version:
        from dicom_service.versioning.apiversion import ApiVersion

        number = ApiVersion.parse(name)
        assert number is not None
        return Version(name, f"v{name}", (), status, deprecated, None, None, f"v{name}.yaml", number)

    served = (version("1", deprecated=True), version("2"), version("3.0-prerelease", status="prerelease"))
    assert Registry(served, "https://example.org/", "policy.html").recommended.name == "2"
    assert manifest.RECOMMENDED in {v.name for v in manifest.VERSIONS}


def test_retire_archives_the_statement_and_migration_step_marked_retired(tmp_path: Path) -> None:
    write_project(tmp_path)
    plan = plan_retire(tmp_path, "1.0-prerelease", today=dt.date(2027, 7, 1))
    apply(tmp_path, plan)
    archive = tmp_path / "site" / "archive"
    statement = (archive / "v1.0-prerelease-conformance.md").read_text(encoding="utf-8")
    step = (archive / "v1.0-prerelease-migration.md").read_text(encoding="utf-8")
    for page in (statement, step):
        assert '!!! danger "Retired version"' in page
        assert "was retired on 2027-07-01" in page and "Move to version `2`" in page
        assert "../specs/v1.0-prerelease" not in page and '"Deprecated version"' not in page
    assert "# v1.0-prerelease conformance statement (retired)" in statement
    assert "## Migrate from v1.0-prerelease to v1 " in step
    assert "](../conformance/v1.md" in step and "](conformance/" not in step
    assert "](v1.0-prerelease-conformance.md)" in step and "](v1.0-prerelease-migration.md)" in statement
    assert any("archived its conformance statement" in line for line in plan.done)
    model = load_api(tmp_path / "specs").model
    archived = ("archive/v1.0-prerelease-conformance.md", "archive/v1.0-prerelease-migration.md")
    nav = fill_nav([{"Conformance": []}], model.registry.versions, archived)
    assert nav == [{"Conformance": ["conformance/v2.md", "conformance/v1.md", *archived]}]
