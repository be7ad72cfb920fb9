"""OpenAPI 3.0 schemas of JSON request bodies → self-contained JSON Schema (2020-12) the service compiles.

The runtime checks a JSON body against exactly what the spec says, so the conversion keeps every assertion and
drops only annotations. OpenAPI 3.0 idioms become plain JSON Schema:

- `nullable: true` adds `null` to the allowed types;
- `format: int32` / `int64` become the range of that integer type (intersected with `minimum`/`maximum`);
- boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric keywords;
- `x-property-names` (a rule on property names that OpenAPI 3.0 cannot state, e.g. DICOM JSON's tag keys)
  becomes `propertyNames`;
- a reference left in place by the loader (a recursive schema) points into `$defs`, which holds the converted
  component it names.
"""

from __future__ import annotations

from typing import Any

DIALECT = "https://json-schema.org/draft/2020-12/schema"
REF_PREFIX = "#/components/schemas/"
INTEGER_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
ANNOTATIONS = frozenset(
    {"description", "example", "examples", "title", "externalDocs", "xml", "deprecated", "discriminator"}
)
JSON_MEDIA_TYPES = ("application/json", "application/dicom+json")


def is_json(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence in JSON_MEDIA_TYPES or essence.endswith("+json")


def body_schema(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one body: the converted schema, with `$defs` for the references it still holds."""
    definitions: dict[str, Any] = {}
    converted = {"$schema": DIALECT, **_convert(schema, components, definitions)}
    if definitions:
        converted["$defs"] = dict(sorted(definitions.items()))
    return converted


def _convert(node: Any, components: dict[str, Any], definitions: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_convert(item, components, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        name = ref[len(REF_PREFIX) :]
        if name not in definitions:
            definitions[name] = {}  # placeholder first: the component may refer to itself
            definitions[name] = _convert(components[name], components, definitions)
        return {"$ref": f"#/$defs/{name}"}
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in ANNOTATIONS or key in ("nullable", "format") or key.startswith("x-"):
            continue
        if key in ("properties", "patternProperties"):
            result[key] = {name: _convert(sub, components, definitions) for name, sub in value.items()}
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            continue  # handled with minimum/maximum below
        elif key in ("enum", "default", "required", "type", "pattern"):
            result[key] = value
        else:
            result[key] = _convert(value, components, definitions)
    _bounds(node, result)
    if node.get("format") is not None and node.get("type") == "string":
        result["format"] = node["format"]
    if isinstance(node.get("x-property-names"), dict):
        result["propertyNames"] = _convert(node["x-property-names"], components, definitions)
    if node.get("nullable") is True:
        _allow_null(result)
    return result


def _bounds(node: dict[str, Any], result: dict[str, Any]) -> None:
    low, high = node.get("minimum"), node.get("maximum")
    if node.get("exclusiveMinimum") is True and low is not None:
        result.pop("minimum", None)
        result["exclusiveMinimum"] = low
        low = None
    if node.get("exclusiveMaximum") is True and high is not None:
        result.pop("maximum", None)
        result["exclusiveMaximum"] = high
        high = None
    fmt = INTEGER_RANGES.get(node.get("format", "")) if node.get("type") == "integer" else None
    if fmt is not None:
        if "exclusiveMinimum" not in result:
            result["minimum"] = max(low, fmt[0]) if low is not None else fmt[0]
        if "exclusiveMaximum" not in result:
            result["maximum"] = min(high, fmt[1]) if high is not None else fmt[1]


def _allow_null(result: dict[str, Any]) -> None:
    kind = result.get("type")
    if isinstance(kind, str):
        result["type"] = [kind, "null"]
    if "enum" in result and None not in result["enum"]:
        result["enum"] = [*result["enum"], None]
    for combinator in ("anyOf", "oneOf"):
        if combinator in result:
            result[combinator] = [*result[combinator], {"type": "null"}]
