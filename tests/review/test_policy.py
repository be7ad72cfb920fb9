"""The policy table: one rule per kind of change, quoting the policy, documented from the same table."""

from __future__ import annotations

import re

import pytest

from generator.review.changes import policy_markdown, policy_rules
from generator.review.policy import DERIVED, RULES, rule
from generator.review.recorder import Recorder
from tests.review.helpers import REPO

POLICY_TEXT = REPO / "tests" / "data" / "versioning-policy.txt"  # the versioning policy, as written


def test_rule_ids_are_unique_and_kebab_case() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", i) for i in ids)


def test_a_rule_named_for_a_direction_applies_to_that_direction() -> None:
    for r in RULES:
        prefix = r.id.split("-", 1)[0]
        if prefix in ("request", "response"):
            assert r.direction == prefix, r.id


def test_every_example_the_policy_names_has_a_breaking_rule() -> None:
    breaking = {r.id for r in RULES if r.breaking is True}
    named = {
        "endpoint-removed", "endpoint-renamed",               # renaming or removing endpoints
        "parameter-removed", "parameter-required-added",      # removing / adding mandatory parameters
        "parameter-became-required", "request-body-required-added",
        "response-status-removed", "success-status-changed",  # changing status code
        "response-property-removed", "media-type-removed",    # deleting a property, altering a response type
        "type-changed",                                       # changing the type of a property
        "default-changed",                                    # behaviour change
    }  # fmt: skip
    assert named <= breaking


def test_the_policy_non_breaking_examples_are_non_breaking_rules() -> None:
    assert rule("request-property-added").breaking is False  # nullable or defaulted properties
    assert rule("response-property-added").breaking is False  # properties added to a response model
    assert rule("reordered").breaking is False  # changing the order of properties
    assert rule("operation-id-changed").breaking == "warning"


def test_quoted_policy_sentences_are_in_the_policy() -> None:
    text = " ".join(POLICY_TEXT.read_text(encoding="utf-8").split())
    for r in RULES:
        if not r.policy.startswith(DERIVED):
            for sentence in re.split(r"(?<=\.) (?=[A-Z])", r.policy):
                assert sentence in text, (r.id, sentence)


def _bullets(title: str) -> list[str]:
    """The bullets of one list of the policy text: the one under the line starting with `title`."""
    lines = POLICY_TEXT.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    bullets = []
    for line in lines[start + 1 :]:
        if line.strip().startswith("•"):
            bullets.append(line.strip().lstrip("• "))
        elif bullets and line.strip():
            break
    return bullets


# A rule about endpoints, parameters, statuses, responses or order quotes the policy's words for that subject.
_SUBJECTS = (("status", "status"), ("endpoint", "endpoints"), ("parameter-", "parameters"),
             ("reordered", "order"), ("response", "response"))  # fmt: skip


def test_each_quoted_sentence_fits_its_rule() -> None:
    breaking, non_breaking = _bullets("Here are some examples of breaking"), _bullets("Nonbreaking changes")
    for r in RULES:
        quoted = (
            [r.policy] if not r.policy.startswith(DERIVED) else re.findall(r"\(([A-Z][^()]*\.)\)", r.policy)
        )
        for sentence in quoted:
            # A breaking rule quotes the policy's examples of breaking changes, a non-breaking one the others.
            derived = r.policy.startswith(DERIVED)
            if r.breaking is True:
                examples = breaking
            else:  # a derived decision may cite a breaking example as the reason it is not one
                examples = non_breaking + breaking if derived else non_breaking
            assert any(sentence in bullet for bullet in examples), (r.id, sentence)
            if r.breaking is True:
                assert "okay" not in sentence, (r.id, sentence)
            if r.policy is sentence:
                subject = next((words for part, words in _SUBJECTS if part in r.id), None)
                assert subject is None or subject in sentence.lower(), (r.id, sentence)


def test_the_documentation_page_lists_every_rule_with_its_verdict_direction_and_policy() -> None:
    page = policy_markdown()
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(rows) == len(policy_rules()) == len(RULES)
    for r, row in zip(RULES, rows, strict=True):
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        assert cells[0] == f"`{r.id}`"
        assert (
            cells[1]
            == {"breaking": "**breaking**", "non-breaking": "non-breaking", "warning": "warning"}[r.severity]
        )
        assert cells[2] == r.direction
        assert cells[3].replace("\\|", "|") == r.policy
        assert cells[4].replace("\\|", "|") == r.example
    assert "## When a breaking change is allowed" in page and "prerelease" in page
    assert "description" in page  # what is deliberately not reported is said too


def test_the_checker_cannot_report_a_rule_the_table_does_not_have() -> None:
    recorder = Recorder("1")
    with pytest.raises(KeyError):
        recorder.add("made-up-rule", operation=("GET /", ""), location="/paths", side="head", message="x")
    with pytest.raises(ValueError, match="request"):
        recorder.add(
            "parameter-removed",
            operation=("GET /", ""),
            location="/",
            side="base",
            message="x",
            direction="response",
        )


def test_the_same_change_at_the_same_place_is_reported_once() -> None:
    recorder = Recorder("1")
    for _ in range(2):
        recorder.add(
            "endpoint-added", operation=("GET /a", "a"), location="/paths/~1a/get", side="head", message="m"
        )
    assert len(recorder.changes) == 1
