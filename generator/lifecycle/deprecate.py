"""`version deprecate <name> [--deprecation DATE] --sunset DATE`: announce the end of a version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.lifecycle.errors import refuse
from generator.lifecycle.plan import SPECS, Plan
from generator.lifecycle.registry_file import read_registry
from generator.loader import REGISTRY_FILE


def parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise refuse(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def plan_deprecate(
    root: Path, name: str, sunset: str, deprecation: str | None = None, today: dt.date | None = None
) -> Plan:
    today = today or dt.date.today()
    registry_file = read_registry(root / SPECS)
    registry = registry_file.registry
    name = name.removeprefix("v")
    try:
        version = registry.get(name)
    except KeyError:
        served = ", ".join(v.name for v in registry.versions)
        raise refuse(f"no served version is named {name!r} (served: {served})") from None
    announced = parse_date(deprecation, "--deprecation") if deprecation else today
    ends = parse_date(sunset, "--sunset")
    if ends <= announced:
        raise refuse(f"--sunset {ends} must come after the deprecation date {announced}")
    if not any(v for v in registry.versions if v is not version and not v.deprecated):
        raise refuse(
            f"version {name} is the last version that is not deprecated; clients would have nothing to "
            "move to (add one first: `python -m generator version new`)"
        )
    index = registry_file.index_of(name)
    entry = registry_file.entries[index]
    entry.update(deprecated=True, deprecation=announced.isoformat(), sunset=ends.isoformat())
    plan = Plan(writes={f"{SPECS}/{REGISTRY_FILE}": registry_file.render()})
    was = (
        f" (was deprecated: announced {version.deprecation or '-'}, sunset {version.sunset or '-'})"
        if version.deprecated
        else ""
    )
    plan.done = [
        f"deprecated version {name} in {SPECS}/{REGISTRY_FILE}: announced {announced}, sunset {ends}{was}",
        f"its endpoints now report it in api-deprecated-versions; requests to /{version.segment}/ also get "
        "Deprecation, Sunset and Link headers",
    ]
    plan.next_steps = [
        "make generate   (service headers, versions page, conformance banners, announcement bar)",
        "make test && make docs",
        f"commit {SPECS}/{REGISTRY_FILE} and the generated files together",
        f"after {ends}: python -m generator version retire {name}",
    ]
    return plan
