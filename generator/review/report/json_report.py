"""The review as JSON for machines: every change with every operation it affects, or what could not
be read."""

from __future__ import annotations

from typing import Any

from generator.diagnostics import Diagnostic
from generator.review.verdict import Finding, Review


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


def refusal_json(base: str, head: str, problems: dict[str, list[Diagnostic]]) -> dict[str, Any]:
    """Nothing compared: the errors and warnings of each side that could not be read."""
    return {
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
