"""The review as Markdown for the pull-request comment: kept under GitHub's size limit, with what does not fit
counted and pointed to in the full JSON report."""

from __future__ import annotations

from generator.diagnostics import Diagnostic
from generator.review.report.wording import VERDICT_TITLE, counts, listed, status, successions
from generator.review.verdict import Finding, Review

COMMENT_MARKER = "<!-- spec-review -->"  # the workflow finds and updates its own comment by it
# GitHub refuses comments over 65,536 characters; the report stays under this, whatever the change.
MARKDOWN_LIMIT = 60_000
ARTIFACT = "spec-review-report"  # the workflow uploads the full JSON report under this name
_CELL = 300  # longest text in one table cell


def markdown(review: Review, limit: int = MARKDOWN_LIMIT) -> str:
    icon = {"ok": "✅", "allowed": "⚠️", "violation": "❌"}[review.verdict]
    head = [
        COMMENT_MARKER,
        f"## {icon} Spec review: {VERDICT_TITLE[review.verdict]}",
        "",
        f"`{code(review.base)}` → `{code(review.head)}`: {counts(review)}.",
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
    affects = md(_cut(listed(operations, 3)))
    if finding.contexts:
        affects += " — " + md(_cut(listed(finding.contexts, 4)))
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


def refusal_markdown(base: str, head: str, problems: dict[str, list[Diagnostic]]) -> str:
    """Nothing compared: the errors of each side that could not be read, with file, line and JSON pointer."""
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
