"""The words every form of the review shares: a finding's status, the counts, the line per version the
pull request shapes, and lists cut to a few items."""

from __future__ import annotations

from generator.review.verdict import Finding, Review

VERDICT_TITLE = {
    "ok": "no breaking change",
    "allowed": "breaking changes allowed (prerelease, new major version or waived)",
    "violation": "policy violation",
}
EXEMPTION = {
    "prerelease": "prerelease",
    "new-major": "new major version",
    "deprecated": "deprecated, sunset passed",
}


def status(finding: Finding) -> str:
    """What a finding means for the pull request, in one word or two."""
    change = finding.change
    if finding.waiver is not None:
        return "waived"
    if finding.exempt is not None:
        return f"allowed: {EXEMPTION.get(finding.exempt, finding.exempt)}"
    return change.severity


def counts(review: Review) -> str:
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


def successions(review: Review) -> list[str]:
    """One line per version the pull request shapes: what its clients meet against the previous version."""
    lines = []
    for version in review.successions:
        findings = [f for f in review.findings if f.change.version == version.key]
        breaking = [f for f in findings if f.change.breaking]
        declared = [f for f in findings if f.change.rule.id == "behaviour-change-declared"]
        verdict = (
            f"allowed: {EXEMPTION[version.exemption]}"
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


def listed(items: list[str], shown: int) -> str:
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more
