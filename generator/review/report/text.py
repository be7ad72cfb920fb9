"""The review as text for a terminal: one block per version, one entry per finding, then the verdict."""

from __future__ import annotations

from generator.review.report.wording import EXEMPTION, VERDICT_TITLE, counts, listed, status, successions
from generator.review.verdict import Finding, Review


def text(review: Review) -> str:
    lines = [f"spec review: {review.base} → {review.head}"]
    lines.extend(successions(review))
    for version in review.versions:
        findings = [f for f in review.findings if f.change.version == version.key]
        files = " → ".join(x for x in (version.base_file, version.head_file) if x)
        note = f", breaking changes allowed ({EXEMPTION[version.exemption]})" if version.exemption else ""
        title = f"version {version.name}" + (f" against version {version.against}" if version.against else "")
        lines.append(f"{title} ({files}): {len(findings)} change(s){note}")
        for finding in findings:
            change = finding.change
            lines.append(f"  {status(finding).upper():<26} {change.rule.id}  {_operations(finding, 3)}")
            lines.append(f"  {'':<26} {change.detail}")
            if finding.contexts:
                lines.append(f"  {'':<26} in {listed(finding.contexts, 6)}")
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
    lines.append(counts(review))
    lines.append(f"result: {VERDICT_TITLE[review.verdict]}")
    lines.extend(f"  {message}" for message in review.requirements)
    return "\n".join(lines) + "\n"


def _place(finding: Finding) -> str:
    where = finding.change.location or "/"
    if finding.line is None:
        return where
    return f"{where} ({finding.file}:{finding.line})" if finding.file else f"{where} (line {finding.line})"


def _operations(finding: Finding, shown: int) -> str:
    labels = finding.operations
    if labels == ["(document)"]:
        return labels[0]
    return listed(labels, shown)
