"""The waiver file: breaking changes a reviewer accepted on purpose, each with its reason.

A waiver names one rule at one location (the JSON pointer the review printed), optionally in one version. A
location inside `#/components` covers every operation that uses that component. A waived change is still
reported, marked waived; a waiver that matches nothing is reported as stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.diagnostics import Diagnostic, InputError, join_pointer, split_pointer
from generator.review.policy import RULES_BY_ID
from generator.review.recorder import Change
from generator.yamlsafe import YamlDocument, YamlProblem, load_yaml

_FIELDS = ("rule", "location", "version", "reason")


@dataclass(frozen=True)
class Waiver:
    rule: str
    location: str
    version: str | None
    reason: str
    file: str
    line: int | None

    def matches(self, change: Change) -> bool:
        return (
            change.rule.id == self.rule
            and change.location == self.location
            and (self.version is None or self.version == change.version)
        )

    @property
    def where(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


def load_waivers(path: Path, display: str | None = None) -> list[Waiver]:
    """Every waiver of the file; InputError naming each problem (file, line, pointer) when it is malformed.

    `display` names the file in messages when it was read from somewhere else (a git ref's copy)."""
    file = display or str(path)
    try:
        document = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            [Diagnostic(file, None, "", "waivers-missing", "waiver file does not exist")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Diagnostic(file, None, "", "waivers-unreadable", str(exc))]) from None
    except YamlProblem as exc:
        raise InputError([Diagnostic(file, exc.line, exc.pointer, exc.code, exc.message)]) from None
    problems: list[Diagnostic] = []

    def problem(pointer: str, message: str) -> None:
        problems.append(Diagnostic(file, document.line_of(pointer), pointer, "waivers-invalid", message))

    data = document.data
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) - {"waivers"}:
        problem("", "the waiver file is a mapping with one key, `waivers` (a list)")
        raise InputError(problems)
    entries = data.get("waivers") or []
    if not isinstance(entries, list):
        problem("/waivers", "`waivers` must be a list")
        raise InputError(problems)
    waivers = [
        w
        for i, entry in enumerate(entries)
        if (w := _waiver(entry, f"/waivers/{i}", document, problem, file))
    ]
    seen: set[tuple[str, str, str | None]] = set()
    for i, waiver in enumerate(waivers):
        key = (waiver.rule, waiver.location, waiver.version)
        if key in seen:
            problem(f"/waivers/{i}", f"a second waiver for {waiver.rule} at {waiver.location}")
        seen.add(key)
    if problems:
        raise InputError(problems)
    return waivers


def _waiver(entry: Any, pointer: str, document: YamlDocument, problem: Any, file: str) -> Waiver | None:
    if not isinstance(entry, dict):
        problem(pointer, "each waiver is a mapping with rule, location, reason and optionally version")
        return None
    ok = True
    for key in sorted(set(entry) - set(_FIELDS)):
        problem(join_pointer(pointer, key), f"unknown field {key!r}; a waiver has {', '.join(_FIELDS)}")
        ok = False
    rule_id, location, reason = entry.get("rule"), entry.get("location"), entry.get("reason")
    version = entry.get("version")
    known = RULES_BY_ID.get(rule_id) if isinstance(rule_id, str) else None
    if known is None:
        problem(
            join_pointer(pointer, "rule"), f"`rule` must be a rule id of the policy table, got {rule_id!r}"
        )
        ok = False
    elif known.breaking is not True:
        problem(join_pointer(pointer, "rule"), f"{rule_id} is not a breaking rule: there is nothing to waive")
        ok = False
    if not isinstance(location, str) or not _is_pointer(location):
        problem(
            join_pointer(pointer, "location"),
            "`location` must be the JSON pointer the review printed (`/paths/...`, or `` for a version)",
        )
        ok = False
    if not isinstance(reason, str) or not reason.strip():
        problem(
            join_pointer(pointer, "reason"), "`reason` is required: say why breaking clients is acceptable"
        )
        ok = False
    if (version is not None and not isinstance(version, str | int)) or isinstance(version, bool):
        problem(join_pointer(pointer, "version"), "`version` must be a version name such as `2`")
        ok = False
    if not ok:
        return None
    version_name = None if version is None else str(version)
    return Waiver(
        str(rule_id), str(location), version_name, str(reason).strip(), file, document.line_of(pointer)
    )


def _is_pointer(text: str) -> bool:
    try:
        split_pointer(text)
    except ValueError:
        return False
    return text == "" or text.startswith("/")
