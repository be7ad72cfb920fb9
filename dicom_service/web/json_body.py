"""JSON request bodies of the operations' endpoints: read, and their shape checked before any work.

`BodyError` carries a sentence naming the JSON pointer of the offending value; handlers answer it as 400.
Checks go as far as the operation's schema does (types, required members, enums, sizes); the meaning of
values (tags, UIDs) is the domain's to check.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request

from dicom_service.web import body


class BodyError(ValueError):
    """A request body that does not have the documented shape; the message is shown to the client."""


async def read_json(request: Request) -> Any:
    raw = await body.read(request, "json_bytes")  # 413 past DICOM_MAX_JSON_BYTES
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BodyError("The request body is not valid JSON.") from None


_TYPES: dict[type, str] = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


def expect(value: Any, kind: type, pointer: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise BodyError(f"The request body is invalid at {pointer or '/'}: expected {_TYPES[kind]}.")
    return value


def member(
    body: dict[str, Any],
    name: str,
    kind: type,
    pointer: str,
    required: bool = True,
    choices: Sequence[str] = (),
) -> Any:
    """`body[name]` checked; None when an optional member is absent."""
    at = f"{pointer}/{name}"
    if name not in body:
        if required:
            raise BodyError(f"The request body is invalid at {pointer or '/'}: '{name}' is required.")
        return None
    value = expect(body[name], kind, at)
    if choices and value not in choices:
        raise BodyError(f"The request body is invalid at {at}: expected one of {', '.join(choices)}.")
    return value


def array(value: Any, pointer: str, min_items: int = 0, max_items: int | None = None) -> list[Any]:
    items: list[Any] = expect(value, list, pointer)
    if len(items) < min_items:
        raise BodyError(
            f"The request body is invalid at {pointer or '/'}: at least {min_items} item(s) needed."
        )
    if max_items is not None and len(items) > max_items:
        raise BodyError(
            f"The request body is invalid at {pointer or '/'}: at most {max_items} items allowed."
        )
    return items
