"""Declared behaviour changes (`x-behaviour-changes`): a change HEAD declares and BASE does not is breaking.

The policy counts "Behavior when an API changes such as changes in business logic used to do foo, but it
now does bar" as breaking; a contract diff cannot see such a change, so the spec declares it and the review
counts each newly declared id once, at the entry that declares it.
"""

from __future__ import annotations

from generator.behaviour import KEY, newly_declared
from generator.diagnostics import join_pointer
from generator.model import ApiSpec
from generator.review.recorder import Recorder

RULE = "behaviour-change-declared"


def compare_behaviour_changes(recorder: Recorder, base: ApiSpec, head: ApiSpec) -> None:
    before, after = base.behaviour_changes, head.behaviour_changes
    ids = [c.id for c in after]
    for change in newly_declared(before, after):
        recorder.add(
            RULE,
            operation=("", ""),
            location=join_pointer("/" + KEY, ids.index(change.id)),
            side="head",
            message=f"behaviour change `{change.id}` declared: {change.summary}",
        )
