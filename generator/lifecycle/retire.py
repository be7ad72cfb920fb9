"""`version retire <name>`: stop serving a deprecated version once its sunset date has passed.

The registry keeps a short entry (`retired: <date>`, no spec) so the site can still say what became of the
version and its URL segments are never reused; the version's spec file is removed (git keeps it), and its
conformance statement and migration step are archived under site/archive/, marked retired. Requests to the
version then answer 400 UnsupportedApiVersion, naming the version to move to. Handler
modules are shared between versions, so they stay; one that handled only the retired version is listed for
a person to delete (the project never deletes people's code).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.lifecycle.archive import archive_pages
from generator.lifecycle.errors import refuse
from generator.lifecycle.plan import SPECS, Plan
from generator.lifecycle.registry_file import read_registry
from generator.loader import REGISTRY_FILE, load_api
from generator.validation_cache import ValidationCache

HANDLERS_DIR = "dicom_service/handlers"


def plan_retire(root: Path, name: str, before_sunset: bool = False, today: dt.date | None = None) -> Plan:
    today = today or dt.date.today()
    registry_file = read_registry(root / SPECS)
    registry = registry_file.registry
    name = name.removeprefix("v")
    retired = {v.name: v for v in registry.retired}
    if name in retired:
        raise refuse(f"version {name} was retired on {retired[name].retired}")
    try:
        version = registry.get(name)
    except KeyError:
        served = ", ".join(v.name for v in registry.versions)
        raise refuse(f"no served version is named {name!r} (served: {served})") from None
    if not version.deprecated:
        raise refuse(
            f"version {name} is not deprecated; deprecate it first with a sunset date clients can plan "
            f"for: python -m generator version deprecate {name} --sunset YYYY-MM-DD"
        )
    if version.sunset and today < version.sunset and not before_sunset:
        raise refuse(
            f"version {name} has its sunset on {version.sunset}; it can be retired from that day "
            "(--before-sunset retires it now, breaking the date announced to clients)"
        )
    if len(registry.versions) == 1:
        raise refuse(f"version {name} is the only version served")
    model = load_api(root / SPECS, cache=ValidationCache.of_project(root)).model
    others = {op.handler for n, spec in model.specs.items() if n != name for op in spec.operations}
    alone = sorted({op.handler for op in model.spec(name).operations} - others)
    index = registry_file.index_of(name)
    entry = registry_file.entries[index]
    entry["retired"] = today.isoformat()
    entry.pop("spec", None)
    move_to = registry.recommended
    if move_to == version:
        move_to = [v for v in registry.versions if v != version][-1]
    archived = archive_pages(model, version, today.isoformat(), move_to)
    plan = Plan(
        writes={f"{SPECS}/{REGISTRY_FILE}": registry_file.render(), **archived},
        removes=[f"{SPECS}/{version.spec}"],
    )
    plan.done = [
        f"retired version {name} in {SPECS}/{REGISTRY_FILE} (retired: {today}; the entry stays for the site)",
        f"removed {SPECS}/{version.spec} (git history keeps it)",
        f"archived its conformance statement and migration step: {', '.join(sorted(archived))}",
        f"requests to /{version.segment}/ now answer 400 UnsupportedApiVersion naming version {move_to.name}",
    ]
    plan.next_steps = [
        "make generate   (routes, stubs, served specs and pages without the version)",
        "make test && make docs",
        f"commit {SPECS}/ and the generated files together",
    ]
    if alone:
        modules = ", ".join(f"{HANDLERS_DIR}/{h}.py" for h in alone)
        plan.next_steps.insert(1, f"delete the handler module(s) that served only version {name}: {modules}")
    return plan
