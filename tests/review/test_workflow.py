"""The pull-request workflow: runs the review as Markdown, comments it, fails on a violation."""

from __future__ import annotations

from typing import Any

import yaml

from tests.review.helpers import REPO

WORKFLOW = REPO / ".github" / "workflows" / "spec-review.yml"


def _workflow() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return data


def _steps() -> list[dict[str, Any]]:
    (job,) = _workflow()["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def test_it_runs_on_pull_requests_that_touch_the_specs() -> None:
    data = _workflow()
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert list(triggers) == ["pull_request"]
    assert triggers["pull_request"]["paths"] == ["specs/**"]
    assert data["permissions"]["pull-requests"] == "write"


def test_it_checks_out_the_history_and_sets_up_python_3_11() -> None:
    steps = _steps()
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"
    assert any(s.get("run", "").strip() == "make venv" for s in steps)


def test_it_reviews_against_the_base_branch_as_markdown_and_keeps_the_exit_code() -> None:
    review = next(s for s in _steps() if s.get("id") == "review")
    script = review["run"]
    assert review["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert (
        '.venv/bin/python -m generator review "origin/$BASE_REF" specs --format markdown > review.md'
        in script
    )
    assert "set +e" in script and 'echo "exit_code=$code" >> "$GITHUB_OUTPUT"' in script


def test_it_posts_or_updates_one_comment_and_then_fails_on_a_nonzero_exit() -> None:
    steps = _steps()
    comment = next(s for s in steps if s.get("uses", "").startswith("actions/github-script@"))
    assert "<!-- spec-review -->" in comment["with"]["script"]
    assert "updateComment" in comment["with"]["script"] and "createComment" in comment["with"]["script"]
    assert comment["if"].startswith("always()")
    fail = steps[-1]
    assert fail["if"] == "steps.review.outputs.exit_code != '0'"
    assert fail["run"].strip().endswith("exit 1")
    assert steps.index(comment) < steps.index(fail)


def test_it_uploads_the_full_json_report_under_the_name_the_comment_points_to() -> None:
    from generator.review.report.comment import ARTIFACT

    steps = _steps()
    review = next(s for s in steps if s.get("id") == "review")
    assert "--format json > review.json" in review["run"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == ARTIFACT
    assert "review.json" in upload["with"]["path"]
    assert upload["if"].startswith("always()")  # a refusal or a violation is uploaded too
    assert "exit 2" not in review["run"]  # a refusal is the Markdown report itself, posted as the comment
