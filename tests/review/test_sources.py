"""BASE and HEAD: a spec file, a specs folder (with or without registry), or a git ref; bad input exits 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.review.helpers import BREAKING, review, spec, specs_folder, write_yaml


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "-C", str(repo), *args],
        check=True,
        capture_output=True,
    )


def test_two_files_are_compared_whatever_their_info_version(tmp_path: Path) -> None:
    base = write_yaml(tmp_path / "a.yaml", spec("1"))
    head = write_yaml(tmp_path / "b.yaml", spec("7", extra_property=True))
    data = review(base, head, "--format", "json").json
    assert [(c["rule"], c["version"]) for c in data["changes"]] == [("response-property-added", "7")]


def test_folders_are_paired_by_version_name(tmp_path: Path) -> None:
    base = specs_folder(tmp_path / "base", {"1": spec("1"), "2": spec("2")})
    head = specs_folder(tmp_path / "head", {"1": spec("1"), "2": spec("2", extra_property=True)})
    data = review(base, head, "--format", "json").json
    assert [v["version"] for v in data["versions"]] == ["1", "2"]
    assert [(c["rule"], c["version"]) for c in data["changes"]] == [("response-property-added", "2")]


def test_a_folder_without_registry_takes_every_yaml_file_named_by_info_version(tmp_path: Path) -> None:
    base = tmp_path / "base"
    write_yaml(base / "first.yaml", spec("1"))
    write_yaml(base / "second.yml", spec("2"))
    head = tmp_path / "head"
    write_yaml(head / "one.yaml", spec("1", **BREAKING))
    write_yaml(head / "two.yaml", spec("2"))
    run = review(base, head, "--format", "json")
    assert [v["version"] for v in run.json["versions"]] == ["1", "2"]
    assert run.code == 1 and run.json["changes"][0]["version"] == "1"


def test_a_git_ref_is_read_from_the_repository_at_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    specs_folder(repo / "specs", {"1": spec("1")})
    _git(repo, "init", "-q")
    _git(repo, "add", "specs")
    _git(repo, "commit", "-q", "-m", "specs")
    write_yaml(repo / "specs" / "v1.yaml", spec("1", **BREAKING))  # the working tree: the pull request
    run = review("HEAD", repo / "specs", "--format", "json", root=repo)
    assert run.code == 1
    assert run.json["base"] == "HEAD"
    assert [c["rule"] for c in run.json["changes"]] == ["response-enum-value-added"]
    assert review("HEAD", "HEAD", root=repo).code == 0


def test_a_git_ref_without_specs_is_bad_input(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_yaml(repo / "README.yaml", {"a": 1})
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "nothing")
    specs = specs_folder(tmp_path / "specs", {"1": spec("1")})
    run = review("HEAD", specs, root=repo)
    assert run.code == 2 and "no specs/ at HEAD" in run.err


def test_an_argument_that_is_no_file_folder_or_ref_is_bad_input(tmp_path: Path) -> None:
    head = write_yaml(tmp_path / "head.yaml", spec("1"))
    run = review(tmp_path / "missing.yaml", head, root=tmp_path)
    assert run.code == 2
    assert (
        "BASE" in run.err
        and "missing.yaml" in run.err
        and "not a spec file, a folder, or a git ref" in run.err
    )


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: [\n", "yaml", 4),
        ("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n", "review-not-openapi", 1),
        ("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: [a, b]\n", "review-shape", 3),
        (
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n"
            "        '200': {$ref: '#/components/responses/Nope'}\n",
            "review-ref",
            7,
        ),
        (
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
            "      parameters: {limit: 1}\n",
            "review-shape",
            6,
        ),
    ],
    ids=["malformed-yaml", "swagger-2", "paths-not-a-mapping", "unknown-ref", "parameters-not-a-list"],
)
def test_a_spec_whose_contract_cannot_be_read_is_bad_input_naming_file_and_line(
    tmp_path: Path, text: str, code: str, line: int
) -> None:
    good = write_yaml(tmp_path / "good.yaml", spec("1"))
    broken = tmp_path / "broken.yaml"
    broken.write_text(text)
    run = review(good, broken)
    assert run.code == 2
    assert f"{broken}:{line}:" in run.err
    assert code in run.err
    assert "Traceback" not in run.err


def test_a_broken_registry_is_bad_input_naming_the_folder_file(tmp_path: Path) -> None:
    base = specs_folder(tmp_path / "base", {"1": spec("1")})
    head = specs_folder(tmp_path / "head", {"1": spec("1")})
    (head / "v1.yaml").unlink()
    run = review(base, head)
    assert run.code == 2
    assert f"{head}/versions.yaml" in run.err and "does not exist" in run.err


def test_paths_that_differ_only_in_parameter_names_are_bad_input(tmp_path: Path) -> None:
    document = spec("1")
    document["paths"]["/operations/{other}"] = {"get": {
        "operationId": "getOther",
        "parameters": [{"name": "other", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"204": {"description": "gone"}},
    }}  # fmt: skip
    head = write_yaml(tmp_path / "head.yaml", document)
    run = review(write_yaml(tmp_path / "base.yaml", spec("1")), head)
    assert run.code == 2 and "differ only in parameter names" in run.err and "head.yaml" in run.err
    report = review(write_yaml(tmp_path / "base.yaml", spec("1")), head, "--format", "json")
    assert report.code == 2 and "differ only in parameter names" in report.json["errors"][0]["message"]
