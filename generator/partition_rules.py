"""The partition twin convention: `/partitions/{partitionName}/studies` is `/studies` scoped to a partition.

Both routes call the same handler, so the twin must have the operationId of its base plus `InPartition` and
exactly its base's contract: the same parameters (besides `partitionName`), request body and responses.
Descriptions and examples may differ (examples carry the partition in their URLs); nothing else may.
"""

from __future__ import annotations

from typing import Any

from generator.diagnostics import join_pointer
from generator.model import PARTITION_PREFIX, PARTITION_SUFFIX
from generator.refs import Resolver

PARTITION_PARAMETER = "partitionName"
NOT_CONTRACT = frozenset({"description", "summary", "example", "examples"})
SHOWN = 3  # differences named in one message


def check_twins(
    document: dict[str, Any], operations: list[tuple[str, str, str, dict[str, Any]]], report: Any
) -> None:
    resolver = Resolver(document)
    by_route = {(method, path): (pointer, op) for path, method, pointer, op in operations}
    for (method, path), (pointer, operation) in by_route.items():
        if not path.startswith(PARTITION_PREFIX + "/"):
            continue
        base_path = path[len(PARTITION_PREFIX) :]
        base = by_route.get((method, base_path))
        where = f"{method.upper()} {path}"
        if base is None:
            report(pointer, "partition-twin", f"{where} has no unpartitioned twin")
            continue
        base_id = base[1].get("operationId")
        if operation.get("operationId") != f"{base_id}{PARTITION_SUFFIX}":
            report(
                join_pointer(pointer, "operationId"),
                "partition-twin",
                f"the twin of {base_id!r} must be {base_id}{PARTITION_SUFFIX}",
            )
        twin = _contract(resolver, document["paths"][path], operation, drop=PARTITION_PARAMETER)
        original = _contract(resolver, document["paths"][base_path], base[1], drop=None)
        differences = list(_differences(original, twin, ""))
        if differences:
            shown = ", ".join(differences[:SHOWN]) + (" …" if len(differences) > SHOWN else "")
            report(
                pointer,
                "partition-twin-contract",
                f"{where} must have the parameters, request body and responses of {method.upper()} "
                f"{base_path} (besides {PARTITION_PARAMETER}); they differ at {shown}",
            )


def _contract(resolver: Resolver, item: dict[str, Any], operation: dict[str, Any], drop: str | None) -> Any:
    parameters: dict[str, Any] = {}
    for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        parameter = resolver.inline(raw)
        if isinstance(parameter, dict) and parameter.get("name") != drop:
            parameters[f"{parameter.get('in')} {parameter.get('name')}"] = parameter
    contract = {
        "parameters": parameters,
        "requestBody": resolver.inline(operation.get("requestBody")),
        "responses": resolver.inline(operation.get("responses")),
    }
    return _strip(contract)


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in NOT_CONTRACT}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _differences(old: Any, new: Any, pointer: str) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            if key not in old or key not in new:
                yield join_pointer(pointer, key)
            else:
                yield from _differences(old[key], new[key], join_pointer(pointer, key))
    elif old != new:
        yield pointer or "/"
