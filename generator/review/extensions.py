"""`x-` extensions: behaviour the document describes (DICOM conformance data, transfer syntaxes, Accept
rules) that no machine can judge. Every difference is reported as a non-breaking note for the reviewer, down
to the list or value that changed.
"""

from __future__ import annotations

from typing import Any

from generator.behaviour import KEY as BEHAVIOUR_KEY
from generator.diagnostics import join_pointer, split_pointer
from generator.loader import diff_pointers
from generator.review.effective import canonical
from generator.review.recorder import Recorder
from generator.security_rules import DATA_ACTION

OpLabel = tuple[str, str]


def compare_extensions(
    recorder: Recorder, label: OpLabel, old: tuple[Any, str], new: tuple[Any, str]
) -> None:
    """`x-` extensions describe behaviour: report where they differ, down to the list or value changed."""
    before, after = old[0], new[0]
    if not isinstance(before, dict) or not isinstance(after, dict):
        return
    keys = [k for k in before if k.startswith("x-")] + [
        k for k in after if k.startswith("x-") and k not in before
    ]
    for key in keys:
        if key == BEHAVIOUR_KEY:
            continue  # judged by generator/review/behaviour.py
        if key == DATA_ACTION:
            continue  # judged by generator/review/data_action.py
        was, now = before.get(key, _MISSING), after.get(key, _MISSING)
        if canonical(was) == canonical(now):
            continue
        if now is _MISSING:
            places, location, side = [""], join_pointer(old[1], key), "base"
        else:
            location, side = join_pointer(new[1], key), "head"
            places = (
                [""]
                if was is _MISSING
                else list(dict.fromkeys(_up_to_list(now, p) for p in diff_pointers(was, now)))
            )
        for place in places:
            recorder.add(
                "extension-changed",
                operation=label,
                location=location + place,
                side="base" if side == "base" else "head",
                message=f"{key}{place}: {_summary(_at(was, place), _at(now, place))}",
            )


_MISSING: Any = object()


def _at(value: Any, pointer: str) -> Any:
    for token in split_pointer(pointer):
        value = value.get(token, _MISSING) if isinstance(value, dict) else _MISSING
    return value


def _summary(was: Any, now: Any) -> str:
    if was is _MISSING:
        return "added"
    if now is _MISSING:
        return "removed"
    if isinstance(was, list) and isinstance(now, list):
        old, new = {canonical(v) for v in was}, {canonical(v) for v in now}
        added = [v for v in now if canonical(v) not in old]
        removed = [v for v in was if canonical(v) not in new]
        parts = [f"added {_items(added)}" if added else "", f"removed {_items(removed)}" if removed else ""]
        return "; ".join(p for p in parts if p) or "reordered"
    if isinstance(was, dict | list) or isinstance(now, dict | list):
        return "changed"
    return f"{canonical(was)} → {canonical(now)}"


def _items(values: list[Any], shown: int = 5) -> str:
    names = ", ".join(_short(v) for v in values[:shown])
    return names + (f" and {len(values) - shown} more" if len(values) > shown else "")


def _short(value: Any) -> str:
    """An entry by its first plain value (a `{keyword, tag}` by its keyword), or its JSON cut short."""
    if isinstance(value, dict):
        first = next(
            (v for v in value.values() if isinstance(v, str | int) and not isinstance(v, bool)), None
        )
        if first is not None:
            return str(first)
    text = canonical(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _up_to_list(value: Any, pointer: str) -> str:
    """The pointer cut at the first list it enters: a list that changed is reported whole."""
    kept = ""
    for token in split_pointer(pointer):
        if not isinstance(value, dict) or token not in value:
            break
        kept = join_pointer(kept, token)
        value = value[token]
    return kept
