"""`version release <name> [--date DATE]`: promote a prerelease to a released version.

From then on the review guards it (a breaking change needs the next major version) and the site recommends
it to new clients when it is the newest released version that is not deprecated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.lifecycle.deprecate import parse_date
from generator.lifecycle.errors import refuse
from generator.lifecycle.plan import SPECS, Plan
from generator.lifecycle.registry_file import read_registry
from generator.loader import REGISTRY_FILE


def plan_release(root: Path, name: str, date: str | None = None, today: dt.date | None = None) -> Plan:
    registry_file = read_registry(root / SPECS)
    registry = registry_file.registry
    name = name.removeprefix("v")
    try:
        version = registry.get(name)
    except KeyError:
        served = ", ".join(v.name for v in registry.versions)
        raise refuse(f"no served version is named {name!r} (served: {served})") from None
    if not version.prerelease:
        raise refuse(f"version {name} is released already (on {version.released or 'an unrecorded date'})")
    if version.number.status is not None:
        raise refuse(
            f"version {name} is labelled a prerelease in its name; release it under a name without the "
            f"label: python -m generator version new {version.number.major} --from {name}"
        )
    released = parse_date(date, "--date") if date else today or dt.date.today()
    entry = registry_file.entries[registry_file.index_of(name)]
    entry.update(status="released", released=released.isoformat())
    plan = Plan(writes={f"{SPECS}/{REGISTRY_FILE}": registry_file.render()})
    plan.done = [
        f"released version {name} in {SPECS}/{REGISTRY_FILE} (status released, released {released})",
        "from now on a breaking change to it needs the next major version; the site recommends it to new "
        "clients when it is the newest released version that is not deprecated",
    ]
    plan.next_steps = [
        "make generate   (versions page, banners, conformance statement, what's new)",
        "make test && make docs",
        f"commit {SPECS}/{REGISTRY_FILE} and the generated files together",
    ]
    return plan
