"""A change found between two documents, and the recorder that only accepts changes the policy table names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from generator.review.policy import Rule, Severity, rule

Side = Literal["base", "head"]


@dataclass(frozen=True)
class Change:
    """One difference, judged by one rule of the policy table."""

    rule: Rule
    direction: str  # request, response or n/a: where in the call the difference was found
    operation: str  # "GET /studies/{study}", empty for document-level changes
    operation_id: str
    location: str  # JSON pointer into the document named by `side`
    side: Side  # head for what HEAD has, base for what HEAD no longer has
    message: str  # what changed, with where in the call (the changelog shows it per operation)
    version: str = ""
    context: str = ""  # where in the call: "response 200 (application/json)", "query parameter limit"
    detail: str = ""  # what changed, the same wherever it is found (a report lists the places apart)

    @property
    def breaking(self) -> bool:
        return self.rule.breaking is True

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    @property
    def operation_label(self) -> str:
        if not self.operation:
            return "(document)"
        return f"{self.operation} ({self.operation_id})" if self.operation_id else self.operation


@dataclass
class Recorder:
    """Collects the changes of one pair of documents; the same change at the same place and in the same
    part of an operation is recorded once."""

    version: str = ""
    changes: list[Change] = field(default_factory=list)
    _seen: set[tuple[str, str, str, str, str, str]] = field(default_factory=set)

    def add(
        self,
        rule_id: str,
        *,
        operation: tuple[str, str],
        location: str,
        side: Side,
        message: str,
        direction: str = "n/a",
        context: str = "",
    ) -> None:
        judged = rule(rule_id)  # KeyError: the checker found something the policy table does not name
        allowed = ("request", "response") if judged.direction == "both" else (judged.direction,)
        if direction not in allowed:
            raise ValueError(f"rule {rule_id} is for {judged.direction}, reported for {direction}")
        key = (rule_id, operation[0], location, side, message, context)
        if key in self._seen:
            return
        self._seen.add(key)
        text = in_context(context, message)
        self.changes.append(
            Change(
                judged,
                direction,
                operation[0],
                operation[1],
                location,
                side,
                text,
                self.version,
                context,
                message,
            )
        )


def in_context(context: str, detail: str) -> str:
    """A change with where in the call: "query parameter limit $: maximum 100 → 200" (`$` is the value
    itself), "response 200 (application/json): OperationStatus: enum value(s) "x" added"."""
    if not context:
        return detail
    return f"{context} {detail}" if detail.startswith("$") else f"{context}: {detail}"
