"""The review as text for a terminal, Markdown for a pull-request comment, and JSON for machines."""

from __future__ import annotations

import json
from typing import Any

from generator.review.policy import Rule
from generator.review.verdict import Finding, Review

COMMENT_MARKER = "<!-- spec-review -->"  # the workflow finds and updates its own comment by it

_VERDICT_TITLE = {
    "ok": "no breaking change",
    "allowed": "breaking changes allowed (prerelease, new major version or waived)",
    "violation": "policy violation",
}
_EXEMPTION = {
    "prerelease": "prerelease",
    "new-major": "new major version",
    "deprecated": "deprecated, sunset passed",
}


def render(review: Review, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_json(review), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return markdown(review)
    return text(review)


def status(finding: Finding) -> str:
    """What a finding means for the pull request, in one word or two."""
    change = finding.change
    if finding.waiver is not None:
        return "waived"
    if finding.exempt is not None:
        return f"allowed: {_EXEMPTION.get(finding.exempt, finding.exempt)}"
    return change.severity


def as_json(review: Review) -> dict[str, Any]:
    return {
        "breaking": review.breaking,
        "verdict": review.verdict,
        "exit_code": review.exit_code,
        "base": review.base,
        "head": review.head,
        "violations": review.requirements,
        "versions": [
            {
                "version": v.name,
                "status": v.status,
                "base": v.base_file,
                "head": v.head_file,
                "exemption": v.exemption,
            }
            for v in review.versions
        ],
        "changes": [_change_json(f) for f in review.findings],
        "stale_waivers": [
            {
                "rule": w.rule,
                "location": w.location,
                "version": w.version,
                "reason": w.reason,
                "where": w.where,
            }
            for w in review.stale
        ],
    }


def _change_json(finding: Finding) -> dict[str, Any]:
    change = finding.change
    return {
        "rule": change.rule.id,
        "breaking": change.breaking,
        "severity": change.severity,
        "direction": change.direction,
        "operation": change.operation,
        "operationId": change.operation_id,
        "location": change.location,
        "document": change.side,
        "version": change.version,
        "policy": change.rule.policy,
        "message": change.message,
        "exempt": finding.exempt is not None,
        "exemption": finding.exempt,
        "waived": finding.waiver is not None,
        "waiver_reason": finding.waiver.reason if finding.waiver else None,
    }


def _counts(review: Review) -> str:
    findings = review.findings
    breaking = [f for f in findings if f.change.breaking]
    parts = [
        f"{len(breaking)} breaking",
        f"{sum(1 for f in breaking if f.violation)} not allowed",
        f"{sum(1 for f in breaking if f.waiver)} waived",
        f"{sum(1 for f in breaking if f.exempt and not f.waiver)} exempt",
        f"{sum(1 for f in findings if f.change.severity == 'warning')} warning(s)",
        f"{sum(1 for f in findings if f.change.severity == 'non-breaking')} non-breaking",
    ]
    return ", ".join(parts)


def text(review: Review) -> str:
    lines = [f"spec review: {review.base} → {review.head}"]
    for version in review.versions:
        findings = [f for f in review.findings if f.change.version == version.name]
        files = " → ".join(x for x in (version.base_file, version.head_file) if x)
        note = f", breaking changes allowed ({_EXEMPTION[version.exemption]})" if version.exemption else ""
        lines.append(f"version {version.name} ({files}): {len(findings)} change(s){note}")
        for finding in findings:
            change = finding.change
            lines.append(f"  {status(finding).upper():<26} {change.rule.id}  {change.operation_label}")
            lines.append(f"  {'':<26} {change.message}")
            lines.append(f"  {'':<26} at {change.side} {change.location or '/'}")
            if finding.waiver:
                lines.append(f"  {'':<26} waived ({finding.waiver.where}): {finding.waiver.reason}")
            if change.breaking:
                lines.append(f"  {'':<26} policy: {change.rule.policy}")
    for waiver in review.stale:
        lines.append(
            f"warning: stale waiver {waiver.where}: {waiver.rule} at {waiver.location} matches no change"
        )
    lines.append(_counts(review))
    lines.append(f"result: {_VERDICT_TITLE[review.verdict]}")
    lines.extend(f"  {message}" for message in review.requirements)
    return "\n".join(lines) + "\n"


def markdown(review: Review) -> str:
    icon = {"ok": "✅", "allowed": "⚠️", "violation": "❌"}[review.verdict]
    lines = [
        COMMENT_MARKER,
        f"## {icon} Spec review: {_VERDICT_TITLE[review.verdict]}",
        "",
        f"`{code(review.base)}` → `{code(review.head)}`: {_counts(review)}.",
        "",
    ]
    lines.extend(f"> **{md(message)}**" for message in review.requirements)
    if review.requirements:
        lines.append("")
    if review.findings:
        lines.append("| Status | Rule | Breaking | Operation | Location | Version | Change | Policy |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for finding in review.findings:
            lines.append(_row(finding))
        lines.append("")
    else:
        lines.append("No change to the API contract.")
        lines.append("")
    for waiver in review.stale:
        where, location = code(waiver.where), code(waiver.location or "/")
        lines.append(f"- ⚠️ stale waiver `{where}`: `{waiver.rule}` at `{location}` matches no change")
    lines.append(
        "Breaking changes need a new major version; see the versioning policy. A deliberate exception"
    )
    lines.append("goes into `specs/review-waivers.yaml` with its reason.")
    return "\n".join(lines) + "\n"


def _row(finding: Finding) -> str:
    change = finding.change
    mark = {"breaking": "❌", "warning": "⚠️", "non-breaking": "✅"}[change.severity]
    state = status(finding)
    if finding.waiver:
        state = f"waived: {finding.waiver.reason}"
    cells = [
        f"{mark} {md(state)}",
        f"`{change.rule.id}`",
        _breaking_cell(change.rule),
        md(change.operation_label),
        f"`{code(change.location or '/')}` ({change.side})",
        md(change.version),
        md(change.message),
        md(change.rule.policy),
    ]
    return "| " + " | ".join(cells) + " |"


def _breaking_cell(rule: Rule) -> str:
    return {"breaking": "yes", "warning": "warning", "non-breaking": "no"}[rule.severity]


def md(value: str) -> str:
    """Text safe inside a Markdown table cell: no pipe, no line break, no HTML."""
    return (
        value.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("`", "'")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def code(value: str) -> str:
    """Text safe inside a code span in a table cell (entities and backslashes are shown as written there)."""
    return value.replace("|", "\\|").replace("`", "'").replace("\r", " ").replace("\n", " ")
