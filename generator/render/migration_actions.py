"""What a client does about one contract change, worded from the kind of change and the change's own details.

Every rule the review can report inside an operation has its sentence here (a test holds the list complete
for the breaking and warning rules): a removed status says what the client receives instead, a removed
parameter what it can send instead, a narrowed enum or tighter constraint which values are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from generator.render.changelog import Finding, readable

_STATUS = re.compile(r"\bstatus (\d{3}|[1-5]XX|default)\b")
_ARROW = re.compile(r"(\S+) (\S+) → (\S+)")  # "maximum 100 → 200", "default 10 → 100"
_PARAMETER = re.compile(r"\b(?:query|path|header|cookie) parameter ([A-Za-z0-9_.-]+)")
_QUOTED = re.compile(r'"([^"]*)"')


def subject(f: Finding) -> str:
    """Where the change is, in words: `query parameter limit`, `property status`, `OperationStatus`."""
    detail = readable(f.detail or f.text)
    head = detail.split(": ", 1)[0] if ": " in detail else ""
    if head.startswith("$"):
        head = ""
    if head.startswith("property "):
        return head
    parameter = _PARAMETER.search(f.context) or _PARAMETER.search(detail)
    if parameter:
        return f"{parameter.group(0)}"
    return head or f.context or "the value"


def _values(f: Finding) -> str:
    found = _QUOTED.findall(f.detail or f.text)
    return ", ".join(f"`{v}`" for v in found) or "the values listed"


def _statuses(f: Finding) -> str:
    return ", ".join(f.statuses) or "the statuses its conformance statement lists"


def _status(f: Finding) -> str:
    found = _STATUS.search(f.detail or f.text)
    return found.group(1) if found else "it"


def _arrow(f: Finding) -> tuple[str, str, str]:
    found = _ARROW.search(f.detail or f.text)
    return found.groups() if found else ("", "", "")  # type: ignore[return-value]


def _bound(f: Finding) -> str:
    """The new bound in words: `maximum 150`, or the change as the review words it."""
    key, _, after = _arrow(f)
    return f"{key} {after}" if key else "the bound the conformance statement states"


def _media(f: Finding) -> str:
    detail = f.detail or f.text
    return detail.removesuffix(" removed").rsplit(": ", 1)[-1]


def _default(f: Finding, siblings: Sequence[Finding], newer: str, older: str) -> str:
    _, before, after = _arrow(f)
    was = before or _QUOTED.sub(r"\1", (f.detail or f.text).split("default ", 1)[-1].removesuffix(" removed"))
    now = f" (version {newer} uses {after})" if after else ""
    return f"Send {subject(f)} explicitly with the value you relied on, {was}{now}."


def _parameter_removed(f: Finding, siblings: Sequence[Finding], newer: str, older: str) -> str:
    added = [
        m.group(1)
        for s in siblings
        if s.route.operation_id == f.route.operation_id
        and s.rule in ("parameter-added", "parameter-required-added")
        for m in [_PARAMETER.search(s.detail or s.text)]
        if m
    ]
    instead = (
        f"; use {', '.join(f'`{a}`' for a in added)} instead where it serves your purpose" if added else ""
    )
    return (
        f"Stop sending {subject(f)}: version {newer} no longer takes it{instead}. Calls that need it stay on "
        f"version {older} until its sunset."
    )


Action = Callable[[Finding, Sequence[Finding], str, str], str]

ACTIONS: dict[str, Action] = {
    "endpoint-renamed": lambda f, s, n, o: (
        f"Call the operation at its new route, {f.route.method} `{f.route.path}`."
    ),
    "operation-id-changed": lambda f, s, n, o: (
        "Regenerate client code made from the OpenAPI document: the operation's name changed; requests and "
        "responses did not."
    ),
    "security-requirement-added": lambda f, s, n, o: (
        f"Send the credentials version {n} now requires for this operation ({readable(f.detail or f.text)})."
    ),
    "data-action-added": lambda f, s, n, o: (
        "Have your token carry a role that grants the data action now needed "
        f"({readable(f.detail or f.text).split(' now needed', 1)[0]}); calls without it are refused with 403."
    ),
    "data-action-changed": lambda f, s, n, o: (
        f"Have your token carry a role that grants the new data action ({readable(f.detail or f.text)})."
    ),
    "parameter-removed": _parameter_removed,
    "parameter-required-added": lambda f, s, n, o: (
        f"Send {subject(f)} with every call; without it version {n} answers 400."
    ),
    "parameter-became-required": lambda f, s, n, o: (
        f"Send {subject(f)} with every call; without it version {n} answers 400."
    ),
    "parameter-serialization-changed": lambda f, s, n, o: (
        f"Serialise {subject(f)} as version {n} states ({readable(f.detail or f.text)})."
    ),
    "request-body-required-added": lambda f, s, n, o: (
        f"Send a request body with every call, shaped as version {n}'s request schema for this operation."
    ),
    "request-body-removed": lambda f, s, n, o: "Stop sending a request body to this operation.",
    "response-status-removed": lambda f, s, n, o: (
        f"Stop expecting {_status(f)} here: version {n} answers with {_statuses(f)} only."
    ),
    "success-status-changed": lambda f, s, n, o: (
        "Treat {2} as the success answer where you expected {1}.".format(*_arrow(f))
        if _arrow(f)[0]
        else f"Treat the new success status as success ({readable(f.detail or f.text)})."
    ),
    "success-status-added": lambda f, s, n, o: (
        f"Treat {_status(f)} as success too, and read its body the way the operation's description says."
    ),
    "response-header-removed": lambda f, s, n, o: (
        f"Stop reading the header ({readable(f.detail or f.text)}); version {n} does not send it."
    ),
    "response-header-became-optional": lambda f, s, n, o: (
        f"Handle answers without the header ({readable(f.detail or f.text)})."
    ),
    "media-type-removed": lambda f, s, n, o: (
        f"Stop sending or asking for {_media(f)} here; use another media type this operation lists in "
        f"version {n}."
    ),
    "type-changed": lambda f, s, n, o: (
        f"Read and send {subject(f)} as its new type ({readable(f.detail or f.text).rsplit(': ', 1)[-1]})."
    ),
    "request-property-removed": lambda f, s, n, o: (
        f"Stop sending {subject(f)} in the request body; version {n} refuses it."
    ),
    "request-required-property-added": lambda f, s, n, o: f"Send {subject(f)} in every request body.",
    "request-property-became-required": lambda f, s, n, o: f"Send {subject(f)} in every request body.",
    "request-enum-value-removed": lambda f, s, n, o: (
        f"Stop sending {_values(f)} in {subject(f)}: version {n} refuses them with 400."
    ),
    "request-nullable-removed": lambda f, s, n, o: f"Send a value, not null, in {subject(f)}.",
    "request-constraint-tightened": lambda f, s, n, o: (
        f"Send only values of {subject(f)} within {_bound(f)}; version {n} refuses others with 400."
    ),
    "default-changed": _default,
    "response-property-removed": lambda f, s, n, o: (
        f"Stop reading {subject(f)}: version {n} no longer returns it."
    ),
    "response-property-became-optional": lambda f, s, n, o: f"Handle answers without {subject(f)}.",
    "response-enum-value-added": lambda f, s, n, o: (
        f"Handle {_values(f)} in {subject(f)}, which version {n} may now return."
    ),
    "response-nullable-added": lambda f, s, n, o: f"Handle null in {subject(f)}.",
    "response-constraint-loosened": lambda f, s, n, o: (
        f"Accept values of {subject(f)} up to {_bound(f)}, beyond what version {o} returned."
    ),
}

NOTHING = "Nothing."


def what_to_do(f: Finding, siblings: Sequence[Finding], newer: str, older: str) -> str:
    """The client's action for one change; `siblings` are the step's other findings."""
    action = ACTIONS.get(f.rule)
    if action is not None:
        return action(f, siblings, newer, older)
    if f.verdict == "warning":
        return "Regenerate client code made from the OpenAPI document; calls that worked still do."
    return NOTHING
