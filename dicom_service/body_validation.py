"""JSON request bodies checked against the operation's schema before any handler runs.

The generator writes one self-contained JSON Schema per JSON media type of each request body into
generated/contracts.json (DICOM JSON's tag-key rule included); each is compiled once, at start-up, with
jsonschema-rs. Only JSON bodies of operations that declare a schema are read here: binary and multipart bodies
(STOW-RS) stay unread, for the handler to stream.

A body that breaks its schema is a 400 naming, for each problem, the JSON pointer of the offending value and
the schema rule it breaks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

MAX_PROBLEMS = 5  # a body with many problems is reported by its first few, ordered by location


class BodyError(ValueError):
    """A request body the operation cannot accept; the message is shown to the client."""


@dataclass(frozen=True)
class BodyValidator:
    """The compiled schema of one media type of one operation's request body."""

    media_type: str
    validator: Any  # a jsonschema_rs validator

    def check(self, raw: bytes) -> Any:
        """The parsed body; raises BodyError naming every problem (JSON pointer and rule) found."""
        try:
            value = json.loads(raw)
        except UnicodeDecodeError:
            raise BodyError("The request body is not valid JSON: it is not UTF-8 text.") from None
        except json.JSONDecodeError as exc:
            raise BodyError(
                f"The request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from None
        if self.validator.is_valid(value):
            return value
        problems = sorted(self.validator.iter_errors(value), key=lambda e: [str(p) for p in e.instance_path])
        lines = [_describe(error) for error in problems[:MAX_PROBLEMS]]
        more = len(problems) - len(lines)
        if more > 0:
            lines.append(f"… and {more} more.")
        raise BodyError(f"The request body does not match the {self.media_type} schema:\n" + "\n".join(lines))


def compile_validators(schemas: Mapping[str, Any], cache: dict[str, Any]) -> dict[str, BodyValidator]:
    """media-type key → validator; `cache` shares one compiled validator between identical schemas."""
    validators = {}
    for media_type, schema in schemas.items():
        key = json.dumps(schema, sort_keys=True)
        if key not in cache:
            cache[key] = jsonschema_rs.validator_for(schema, validate_formats=True)
        validators[media_type] = BodyValidator(media_type, cache[key])
    return validators


def pointer(path: list[str | int]) -> str:
    """RFC 6901 JSON pointer; the whole body is `/`."""
    if not path:
        return "/"
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _describe(error: Any) -> str:
    rule = next((str(p) for p in reversed(error.schema_path) if isinstance(p, str)), "schema")
    return f"- at {pointer(list(error.instance_path))} ({rule}): {error.message}"
