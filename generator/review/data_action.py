"""The data action an operation needs (`x-data-action`): who may call it, beside its security requirement.

Roles grant actions independently of one another (a store-only modality holds `write` and not `read`), so no
action is weaker than another: a caller whose role grants the old action may lack the new one. Needing an
action where none was needed, or another action, is breaking; needing none any more relaxes the operation.
"""

from __future__ import annotations

from typing import Any

from generator.diagnostics import join_pointer
from generator.review.recorder import Recorder, Side
from generator.security_rules import DATA_ACTION

OpLabel = tuple[str, str]


def compare_data_action(
    recorder: Recorder, label: OpLabel, old: tuple[dict[str, Any], str], new: tuple[dict[str, Any], str]
) -> None:
    was, now = old[0].get(DATA_ACTION), new[0].get(DATA_ACTION)
    if was == now:
        return
    side: Side
    if now is None:
        rule, side, where = "data-action-removed", "base", join_pointer(old[1], DATA_ACTION)
        message = f"`{was}` no longer needed: every authenticated caller is accepted"
    elif was is None:
        rule, side, where = "data-action-added", "head", join_pointer(new[1], DATA_ACTION)
        message = f"`{now}` now needed: callers whose roles do not grant it are refused"
    else:
        rule, side, where = "data-action-changed", "head", join_pointer(new[1], DATA_ACTION)
        message = f"`{was}` → `{now}`: callers whose roles grant `{was}` but not `{now}` are refused"
    recorder.add(rule, operation=label, location=where, side=side, message=message)
