"""`version new <name> --from <version> [--prerelease]`: register a version, a prerelease, and write its spec.

A new version starts as a prerelease (breaking changes allowed, never recommended to new clients) so that it
can be finished over several pull requests; `version release` promotes it. `--prerelease` spells the name with
the label (`3.0-prerelease`), for a prerelease that is never promoted under that name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dicom_service.versioning.apiversion import ApiVersion
from generator.lifecycle.errors import refuse
from generator.lifecycle.plan import SPECS, Plan
from generator.lifecycle.registry_file import read_registry
from generator.lifecycle.spec_copy import copy_spec
from generator.loader import REGISTRY_FILE

PRERELEASE_LABEL = "prerelease"
SHOWN_MENTIONS = 12


def new_name(name: str, prerelease: bool) -> str:
    """The registry name: `3`; with --prerelease `3.0-prerelease`, as the project spells its prereleases."""
    number = ApiVersion.parse(name.removeprefix("v"))
    if number is None:
        raise refuse(f"{name!r} is not a version name (`3`, `3.1`, `3.0-prerelease`)")
    if prerelease and number.status is None:
        return f"{number.major}.{number.minor}-{PRERELEASE_LABEL}"
    return name.removeprefix("v")


def url_spellings(name: str) -> tuple[str, list[str]]:
    """(segment, aliases): `3` → `v3` and `v3.0`; `3.0-prerelease` → `v3.0-prerelease` and `v3-prerelease`."""
    number = ApiVersion.parse(name)
    assert number is not None
    label = f"-{number.status}" if number.status else ""
    short, long = f"v{number.major}{label}", f"v{number.major}.{number.minor}{label}"
    segment = f"v{name}"
    if number.minor != 0:
        return segment, []
    return segment, [s for s in (short, long) if s != segment]


def plan_new(root: Path, name: str, source_name: str, prerelease: bool = False) -> Plan:
    registry_file = read_registry(root / SPECS)
    registry = registry_file.registry
    name = new_name(name, prerelease)
    number = ApiVersion.parse(name)
    assert number is not None
    if number.major == 0:  # the docs' example of a version that does not exist (`/v0/studies`) stays true
        raise refuse(
            "version 0 is kept for examples of a version that does not exist; pick 1 or more", "/versions"
        )
    known = {v.number: v for v in (*registry.versions, *registry.retired)}
    if number in known:
        state = "retired" if known[number].retired else "registered"
        raise refuse(f"version {name} is already {state} (as {known[number].name})", "/versions")
    try:
        source = registry.get(source_name.removeprefix("v"))
    except KeyError:
        served = ", ".join(v.name for v in registry.versions)
        raise refuse(f"--from {source_name}: no such version is served (served: {served})") from None
    segment, aliases = url_spellings(name)
    spec_file = f"{segment}.yaml"
    if (root / SPECS / spec_file).exists():
        raise refuse(
            f"{SPECS}/{spec_file} exists already; move it away or pick another name",
            file=f"{SPECS}/{spec_file}",
        )
    source_text = (root / SPECS / source.spec).read_text(encoding="utf-8")
    copy = copy_spec(source_text, source, name, segment)
    entry: dict[str, Any] = {
        "name": name,
        "segment": segment,
        "aliases": aliases,
        "status": PRERELEASE_LABEL,
        "deprecated": False,
        "spec": spec_file,
    }
    position = sum(1 for v in registry_file.entries if _number(v) < number.sort_key)
    registry_file.entries.insert(position, entry)
    plan = Plan(
        writes={f"{SPECS}/{spec_file}": copy.text, f"{SPECS}/{REGISTRY_FILE}": registry_file.render()}
    )
    plan.done = [
        f"registered version {name} in {SPECS}/{REGISTRY_FILE} "
        f"({entry['status']}, URL /{segment}/"
        + (f", also {', '.join('/' + a + '/' for a in aliases)}" if aliases else "")
        + ")",
        f"wrote {SPECS}/{spec_file} from {source.spec}: info.version {name}, server /{segment}, "
        f"{copy.segment_urls} URL(s) /{source.segment}/… → /{segment}/…",
    ]
    if copy.mentions:
        shown = ", ".join(map(str, copy.mentions[:SHOWN_MENTIONS]))
        more = (
            f" and {len(copy.mentions) - SHOWN_MENTIONS} more" if len(copy.mentions) > SHOWN_MENTIONS else ""
        )
        plan.done.append(
            f"left as written: {len(copy.mentions)} line(s) of {spec_file} name version {source.name} in "
            f"prose, usually history such as 'changed in version {source.name}' (lines {shown}{more})"
        )
    plan.next_steps = [
        f"edit {SPECS}/{spec_file} for what changes in version {name} (a prerelease: breaking changes are "
        "allowed until it is released; `make review` lists every change against version "
        f"{source.name})",
        "make generate   (stubs, served specs and doc pages now include the new version)",
        "make test && make docs",
        f"commit {SPECS}/ and the generated files together",
    ]
    if not number.status:
        plan.next_steps.append(f"when it is complete: make version-release NAME={name}")
    return plan


def _number(entry: dict[str, Any]) -> tuple[int, int, int, str]:
    number = ApiVersion.parse(str(entry.get("name")))
    assert number is not None  # the registry was checked
    return number.sort_key
