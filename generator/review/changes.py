"""The review as a library for the doc site: changes between two versions, and the policy page.

changes_between(model.spec("1"), model.spec("2"))  # what a client of v1 meets in v2
policy_markdown()                                   # the rule table as a documentation page
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from generator.model import ApiModel, ApiSpec
from generator.review.compare import compare_specs
from generator.review.policy import IGNORED, RULES, Rule
from generator.review.recorder import Change, in_context

__all__ = ["Change", "Rule", "changes_across", "changes_between", "policy_markdown", "policy_rules"]


def changes_between(old: ApiSpec, new: ApiSpec) -> list[Change]:
    """Every change from `old` to `new`, judged by the policy table; labelled with `new`'s version.

    A change found in several parts of one operation (a shared schema in two responses) is one change whose
    message names every part."""
    grouped: dict[tuple[str, str, str, str, str], list[Change]] = {}
    for change in compare_specs(old, new, new.version.name):
        key = (change.operation, change.rule.id, change.location, change.side, change.detail)
        grouped.setdefault(key, []).append(change)
    return [_merged(changes) for changes in grouped.values()]


def _merged(changes: list[Change]) -> Change:
    first = changes[0]
    contexts = list(dict.fromkeys(c.context for c in changes if c.context))
    if len(contexts) < 2:
        return first
    return replace(first, message=in_context(", ".join(contexts), first.detail))


def changes_across(model: ApiModel) -> list[tuple[ApiSpec, ApiSpec, list[Change]]]:
    """Consecutive versions of one registry, oldest first: (older, newer, changes)."""
    specs = list(model.specs.values())
    return [(old, new, changes_between(old, new)) for old, new in itertools.pairwise(specs)]


def policy_rules() -> tuple[Rule, ...]:
    return RULES


ALLOWED = (
    "In a prerelease version (registry status `prerelease`, such as a version `version new` just added, a"
    " `1.0-prerelease` label, or an `info.version` such as `2.0.0-beta.1`), and compared with a prerelease:"
    ' "These endpoints might experience breaking changes without notice."',
    "In a new major version: two files compared directly whose `info.version` major increased, and a"
    " version a pull request adds, releases or edits as a prerelease, compared with its predecessor (the"
    " nearest older version served): every change is listed under `2 → 3`, allowed when the major number"
    " grew, a violation for a new minor version.",
    "Never inside a released version: a breaking change to version N needs a new version (the next major"
    " after the newest one) with its own spec and registry entry, or a waiver with its reason.",
    "A version may be removed when it was a prerelease, or deprecated with its sunset date passed.",
)
READING = (
    "OpenAPI 3.0 and 3.1 documents, leniently: `make lint-specs` holds the project's specs to every rule, the"
    " review compares any document whose contract it can read.",
    "What does not change the contract is a warning in the report, not a refusal: a number as"
    " `info.version`, a `default` outside its `enum`, path parameters used but not declared, fields OpenAPI"
    " does not define, a `$ref` inside an example value (literal data, never resolved).",
    "A document that cannot be read (YAML that does not parse, not OpenAPI 3, a `$ref` that leads nowhere,"
    " paths or operations without OpenAPI's shape) exits 2 with every problem of both sides, each with its"
    " file, line and JSON pointer, in the format asked for.",
    "A change to a shared schema is one finding listing every operation, direction, status and media type"
    " it affects; a widening (`int32` → `int64`, a removed bound, `anyOf` around the previous schema, an"
    " added enum value) is one change, judged by the direction it is used in.",
)
_SEVERITY = {"breaking": "**breaking**", "non-breaking": "non-breaking", "warning": "warning"}


def policy_markdown() -> str:
    """The documentation page of the policy table: one row per rule."""
    lines = [
        "# Spec review rules",
        "",
        "`make review` compares the effective contract of two specs (references resolved, `allOf` merged,",
        "path-level and operation-level parameters merged) and judges every change by one rule below.",
        "In a request a schema that accepts less breaks clients; in a response a schema that may send",
        "more breaks them. A breaking change is allowed in a prerelease version and in a new major version;",
        "anywhere else it fails the review unless `specs/review-waivers.yaml` waives it with a reason.",
        "",
        "| Rule | Verdict | Direction | Policy | Example |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in RULES:
        cells = [
            f"`{rule.id}`",
            _SEVERITY[rule.severity],
            rule.direction,
            _cell(rule.policy),
            _cell(rule.example),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        'A policy entry that starts with "Derived:" is the project\'s decision where the policy is silent;',
        "every other entry quotes the policy.",
        "",
        "## When a breaking change is allowed",
        "",
        *(f"- {line}" for line in ALLOWED),
        "",
        "## Not reported, because no call changes",
        "",
        *(f"- {item}" for item in IGNORED),
        "",
        "## What the review reads",
        "",
        *(f"- {item}" for item in READING),
        "",
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Markdown written for a table cell (the table's own backticks kept): only pipes and newlines escaped."""
    return text.replace("|", "\\|").replace("\n", " ")
