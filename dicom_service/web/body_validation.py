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
MAX_MESSAGE = 200  # a problem quoting a large value is cut short


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
        except RecursionError:
            raise BodyError("The request body is nested too deeply.") from None
        if self.validator.is_valid(value):
            return value
        problems = sorted(
            self.validator.iter_errors(value), key=lambda e: [str(p) for p in instance_path(e, value)]
        )
        lines = [_describe(error, value) for error in problems[:MAX_PROBLEMS]]
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


def instance_path(error: Any, value: Any) -> list[str | int]:
    """The error's path with object keys exactly as in the body.

    jsonschema-rs reports an all-digit object key as an int (`"00100010"` → 100010); walking the body gives
    the key back as written.
    """
    path: list[str | int] = []
    current = value
    for part in error.instance_path:
        if isinstance(current, dict) and isinstance(part, int):
            text = str(part)
            part = (
                text
                if text in current
                else next((k for k in current if k.isdigit() and int(k) == part), text)
            )
        path.append(part)
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            current = None
    return path


def _describe(error: Any, value: Any) -> str:
    keywords = [str(p) for p in error.schema_path if isinstance(p, str)]
    rule = "propertyNames" if "propertyNames" in keywords else (keywords[-1] if keywords else "schema")
    message = error.message if len(error.message) <= MAX_MESSAGE else error.message[: MAX_MESSAGE - 1] + "…"
    return f"- at {pointer(instance_path(error, value))} ({rule}): {message}"
