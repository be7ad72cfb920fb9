"""The roles file: which data actions each role grants, and where (`/` or `/partitions/<name>`).

The shape is the reference's `roles.json` (`name`, `dataActions`, `notDataActions`, `scopes`), with the
service's finer actions (the specs' `x-data-actions`) beside `*`, `read`, `write` and `delete`, and partition
scopes. A mistake in the file stops start-up with one line naming the file and the role.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dicom_service.settings import SettingsError

DEFAULT_FILE = Path(__file__).resolve().parent / "default_roles.json"
ALL = "*"
PARTITION_SCOPE = re.compile(r"^/partitions/([A-Za-z0-9_.-]{1,64})$")


class RolesError(SettingsError):
    """The roles file is unreadable or wrong; the message is one line naming the file and the fault."""


@dataclass(frozen=True)
class Role:
    name: str
    actions: frozenset[str]
    not_actions: frozenset[str]
    partitions: frozenset[str] | None  # None: every partition (scope `/`)

    def grants(self, action: str, partition: str) -> bool:
        if self.partitions is not None and partition not in self.partitions:
            return False
        return (ALL in self.actions or action in self.actions) and action not in self.not_actions


@dataclass(frozen=True)
class Roles:
    by_name: dict[str, Role]

    def named(self, names: Iterable[str]) -> tuple[Role, ...]:
        return tuple(self.by_name[n] for n in dict.fromkeys(names) if n in self.by_name)


def load_roles(path: Path | None, known_actions: Iterable[str]) -> Roles:
    source = path or DEFAULT_FILE
    known = frozenset(known_actions) | {ALL}
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RolesError(f"DICOM_AUTH_ROLES_FILE: {source}: cannot read the roles file: {exc}") from None
    entries = data.get("roles") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise RolesError(
            f'DICOM_AUTH_ROLES_FILE: {source}: expected {{"roles": [ … ]}} with at least one role'
        )
    roles: dict[str, Role] = {}
    for i, entry in enumerate(entries):
        where = f"DICOM_AUTH_ROLES_FILE: {source}: roles[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise RolesError(f"{where}: a role is an object with a non-empty name")
        where = f"DICOM_AUTH_ROLES_FILE: {source}: role {entry['name']!r}"
        if entry["name"] in roles:
            raise RolesError(f"{where} is defined twice")
        actions = _strings(entry, "dataActions", where)
        not_actions = _strings(entry, "notDataActions", where, required=False)
        for action in sorted((actions | not_actions) - known):
            raise RolesError(f"{where}: unknown data action {action!r}; known: {', '.join(sorted(known))}")
        scopes = _strings(entry, "scopes", where)
        partitions: set[str] | None = set()
        for scope in sorted(scopes):
            if scope == "/":
                partitions = None
            elif (match := PARTITION_SCOPE.match(scope)) is None:
                raise RolesError(f"{where}: scope {scope!r} is neither '/' nor '/partitions/<name>'")
            elif partitions is not None:
                partitions.add(match.group(1))
        roles[entry["name"]] = Role(
            entry["name"], actions, not_actions, None if partitions is None else frozenset(partitions)
        )
    return Roles(roles)


def _strings(entry: dict[str, object], key: str, where: str, required: bool = True) -> frozenset[str]:
    value = entry.get(key, None if required else [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (required and not value):
        raise RolesError(f"{where}: {key} must be a {'non-empty ' if required else ''}list of strings")
    return frozenset(value)
