"""The review as text for a terminal, Markdown for a pull-request comment, and JSON for machines."""

from __future__ import annotations

import json
from typing import Any

from generator.diagnostics import Diagnostic
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
                "against": v.against,
                "key": v.key,
                "status": v.status,
                "base": v.base_file,
                "head": v.head_file,
                "exemption": v.exemption,
            }
            for v in review.versions
        ],
        "changes": [_change_json(f) for f in review.findings],
        "warnings": [diagnostic_json(w) for w in review.warnings],
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
        "directions": finding.directions,
        "operation": change.operation,
        "operationId": change.operation_id,
        "operations": [
            {
                "operation": c.operation,
                "operationId": c.operation_id,
                "direction": c.direction,
                "part": c.context,
            }
            for c in finding.places
        ],
        "parts": finding.contexts,
        "location": change.location,
        "document": change.side,
        "file": finding.file,
        "line": finding.line,
        "version": change.version,
        "policy": change.rule.policy,
        "message": change.detail,
        "exempt": finding.exempt is not None,
        "exemption": finding.exempt,
        "waived": finding.waiver is not None,
        "waiver_reason": finding.waiver.reason if finding.waiver else None,
    }


def diagnostic_json(diagnostic: Diagnostic, side: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"side": side} if side else {}
    return found | {
        "file": diagnostic.file,
        "line": diagnostic.line,
        "pointer": diagnostic.pointer,
        "code": diagnostic.code,
        "message": diagnostic.message,
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
    lines.extend(successions(review))
    for version in review.versions:
        findings = [f for f in review.findings if f.change.version == version.key]
        files = " → ".join(x for x in (version.base_file, version.head_file) if x)
        note = f", breaking changes allowed ({_EXEMPTION[version.exemption]})" if version.exemption else ""
        title = f"version {version.name}" + (f" against version {version.against}" if version.against else "")
        lines.append(f"{title} ({files}): {len(findings)} change(s){note}")
        for finding in findings:
            change = finding.change
            lines.append(f"  {status(finding).upper():<26} {change.rule.id}  {_operations(finding, 3)}")
            lines.append(f"  {'':<26} {change.detail}")
            if finding.contexts:
                lines.append(f"  {'':<26} in {_listed(finding.contexts, 6)}")
            lines.append(f"  {'':<26} at {change.side} {_place(finding)}")
            if finding.waiver:
                lines.append(f"  {'':<26} waived ({finding.waiver.where}): {finding.waiver.reason}")
            if change.breaking:
                lines.append(f"  {'':<26} policy: {change.rule.policy}")
    for warning in review.warnings:
        lines.append(str(warning))
    for waiver in review.stale:
        lines.append(
            f"warning: stale waiver {waiver.where}: {waiver.rule} at {waiver.location} matches no change"
        )
    lines.append(_counts(review))
    lines.append(f"result: {_VERDICT_TITLE[review.verdict]}")
    lines.extend(f"  {message}" for message in review.requirements)
    return "\n".join(lines) + "\n"


def successions(review: Review) -> list[str]:
    """One line per version the pull request shapes: what its clients meet against the previous version."""
    lines = []
    for version in review.successions:
        findings = [f for f in review.findings if f.change.version == version.key]
        breaking = [f for f in findings if f.change.breaking]
        declared = [f for f in findings if f.change.rule.id == "behaviour-change-declared"]
        verdict = (
            f"allowed: {_EXEMPTION[version.exemption]}"
            if version.exemption
            else "not allowed"
            if breaking
            else "none breaking"
        )
        lines.append(
            f"version {version.name} against version {version.against}: {len(findings)} change(s), "
            f"{len(breaking)} breaking ({verdict}), {len(declared)} declared behaviour change(s)"
        )
    return lines


def _place(finding: Finding) -> str:
    where = finding.change.location or "/"
    if finding.line is None:
        return where
    return f"{where} ({finding.file}:{finding.line})" if finding.file else f"{where} (line {finding.line})"


def _listed(items: list[str], shown: int) -> str:
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _operations(finding: Finding, shown: int) -> str:
    labels = finding.operations
    if labels == ["(document)"]:
        return labels[0]
    return _listed(labels, shown)


# GitHub refuses comments over 65,536 characters; the report stays under this, whatever the change.
MARKDOWN_LIMIT = 60_000
ARTIFACT = "spec-review-report"  # the workflow uploads the full JSON report under this name
_CELL = 300  # longest text in one table cell


def markdown(review: Review, limit: int = MARKDOWN_LIMIT) -> str:
    icon = {"ok": "✅", "allowed": "⚠️", "violation": "❌"}[review.verdict]
    head = [
        COMMENT_MARKER,
        f"## {icon} Spec review: {_VERDICT_TITLE[review.verdict]}",
        "",
        f"`{code(review.base)}` → `{code(review.head)}`: {_counts(review)}.",
        "",
    ]
    head.extend(f"**{md(line[0].upper() + line[1:])}.**" for line in successions(review))
    if review.successions:
        head.append("")
    head.extend(f"> **{md(message)}**" for message in review.requirements)
    if review.requirements:
        head.append("")
    tail = [f"- ⚠️ stale waiver `{code(w.where)}`: `{w.rule}` at `{code(w.location or '/')}` matches no change"
            for w in review.stale]  # fmt: skip
    tail += [
        "",
        "Breaking changes need a new major version; see the versioning policy. A deliberate exception",
        "goes into `specs/review-waivers.yaml` with its reason.",
    ]
    # What is written around the tables: section titles, folds, the note on what was left out.
    budget = _Budget(limit - _length(head) - _length(tail) - 1000)
    body: list[str] = []
    breaking = [f for f in review.findings if f.change.breaking]
    others = [f for f in review.findings if not f.change.breaking]
    if not review.findings:
        body += ["No change to the API contract.", ""]
    if breaking:
        body += [f"### Breaking changes ({len(breaking)})", "", *budget.table(breaking), ""]
        rules = {f.change.rule.id: f.change.rule.policy for f in breaking}
        body += ["What the versioning policy says about them:", ""]
        body += budget.lines([f"- `{rule}`: {md(policy)}" for rule, policy in rules.items()], "rules")
        body.append("")
    if others:
        body += [
            "<details>",
            f"<summary>Non-breaking changes and warnings ({len(others)})</summary>",
            "",
            *budget.table(others),
            "",
            "</details>",
            "",
        ]
    if review.warnings:
        items = budget.lines(
            [f"- `{code(_where(w))}` {md(_cut(w.message))}" for w in review.warnings], "warnings"
        )
        body += [
            "<details>",
            f"<summary>Read leniently ({len(review.warnings)} warning(s) about the documents)</summary>",
            "",
            *items,
            "",
            "</details>",
            "",
        ]
    if budget.left_out:
        body.insert(
            0,
            f"> {budget.left_out} finding(s) are not shown to keep this comment short; every change, with "
            f"every operation it affects, is in the full JSON report (workflow artifact `{ARTIFACT}`).\n",
        )
    return "\n".join([*head, *body, *tail]) + "\n"


class _Budget:
    """Rows are added while they fit; what does not fit is counted and pointed to."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.left_out = 0

    def take(self, line: str) -> bool:
        if len(line) + 1 > self.size:
            return False
        self.size -= len(line) + 1
        return True

    def table(self, findings: list[Finding]) -> list[str]:
        header = "| Status | Rule | Change | Affects | Location |"
        rule = "| --- | --- | --- | --- | --- |"
        rows = [header, rule]
        if not (self.take(header) and self.take(rule)):
            self.left_out += len(findings)
            return []
        for i, finding in enumerate(findings):
            row = _row(finding)
            if not self.take(row):
                self.left_out += len(findings) - i
                rows.append(f"| … | {len(findings) - i} more in the JSON report | | | |")
                break
            rows.append(row)
        return rows

    def lines(self, items: list[str], what: str) -> list[str]:
        kept = []
        for i, item in enumerate(items):
            if not self.take(item):
                kept.append(f"- … {len(items) - i} more {what} in the JSON report")
                break
            kept.append(item)
        return kept


def _row(finding: Finding) -> str:
    change = finding.change
    mark = {"breaking": "❌", "warning": "⚠️", "non-breaking": "✅"}[change.severity]
    state = status(finding)
    if finding.waiver:
        state = f"waived: {finding.waiver.reason}"
    operations = list(dict.fromkeys(c.operation or "(document)" for c in finding.places))
    affects = md(_cut(_listed(operations, 3)))
    if finding.contexts:
        affects += " — " + md(_cut(_listed(finding.contexts, 4)))
    if len(finding.directions) > 1:
        affects += " (" + ", ".join(finding.directions) + ")"
    version = f" (version {md(change.version)})" if change.version else ""  # `2 → 3`: against its predecessor
    cells = [
        f"{mark} {md(_cut(state))}",
        f"`{change.rule.id}`",
        md(_cut(change.detail)) + version,
        affects,
        f"`{code(_cut(change.location or '/'))}` ({change.side}{_line(finding)})",
    ]
    return "| " + " | ".join(cells) + " |"


def _line(finding: Finding) -> str:
    return f" line {finding.line}" if finding.line is not None else ""


def _where(diagnostic: Diagnostic) -> str:
    place = diagnostic.file if diagnostic.line is None else f"{diagnostic.file}:{diagnostic.line}"
    return f"{place} {diagnostic.pointer}".strip()


def _cut(value: str, limit: int = _CELL) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _length(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


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


def render_refusal(base: str, head: str, problems: dict[str, list[Diagnostic]], fmt: str) -> str:
    """What could not be read, on both sides, in the requested format (text goes to stderr instead)."""
    if fmt == "json":
        data = {
            "breaking": None,
            "verdict": "unreadable",
            "exit_code": 2,
            "base": base,
            "head": head,
            "errors": [
                diagnostic_json(d, side)
                for side, found in problems.items()
                for d in found
                if d.severity == "error"
            ],
            "warnings": [
                diagnostic_json(d, side)
                for side, found in problems.items()
                for d in found
                if d.severity != "error"
            ],
            "changes": [],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    lines = [
        COMMENT_MARKER,
        "## ❌ Spec review: the specs could not be read",
        "",
        f"`{code(base)}` → `{code(head)}`: nothing was compared. Fix what is listed below (file, line and "
        "JSON pointer).",
        "",
    ]
    budget = _Budget(MARKDOWN_LIMIT - 2000)
    for side, found in problems.items():
        errors = [d for d in found if d.severity == "error"]
        if errors:
            lines += [f"### {side}", ""]
            lines += budget.lines(
                [f"- `{code(_where(d))}` [{d.code}] {md(_cut(d.message))}" for d in errors], "errors"
            )
            lines.append("")
    return "\n".join(lines) + "\n"
