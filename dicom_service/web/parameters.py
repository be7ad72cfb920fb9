"""Checks a request's parameters against the operation's declared ones, as the service's model binding does.

Query parameter names are case-insensitive; a declared single-valued parameter given twice is an error;
undeclared query keys pass through (DICOM attributes may also be named by tag, and workitem UIDs travel as
bare keys). Every failure is a sentence naming the parameter and what is wrong with it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydicom.datadict import tag_for_keyword
from starlette.datastructures import Headers, QueryParams

Schema = Mapping[str, Any]
# The range of each integer `format`: a value outside it is refused exactly as a `maximum` would refuse it.
INTEGER_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_INTEGER = re.compile(r"[+-]?\d{1,40}")


class ParameterError(ValueError):
    """A request parameter the operation cannot accept; the message is shown to the client."""


def bind(
    declared: Sequence[Mapping[str, Any]],
    path: Mapping[str, str],
    query: QueryParams,
    headers: Headers,
) -> dict[str, Any]:
    """The declared parameters' values, converted and checked; defaults filled in."""
    query_keys: dict[str, list[str]] = {}
    for key, value in query.multi_items():
        query_keys.setdefault(key.lower(), []).append(value)
    values: dict[str, Any] = {}
    for parameter in declared:
        name, location, schema = parameter["name"], parameter["in"], parameter.get("schema") or {}
        label = f"The {'header' if location == 'header' else location + ' parameter'} '{name}'"
        raw: list[str]
        if location == "query":
            raw = query_keys.get(name.lower(), [])
        elif location == "path":
            raw = [path[name]] if name in path else []
        elif location == "header":
            raw = headers.getlist(name)
        else:
            continue
        if not raw:
            if parameter.get("required"):
                raise ParameterError(f"{label} is required.")
            if "default" in schema:
                values[name] = schema["default"]
            continue
        if schema.get("type") == "array":
            items = [item for value in raw for item in value.split(",") if item != ""]
            values[name] = [convert(item, schema.get("items") or {}, label) for item in items]
            check_array(values[name], schema, label)
        elif len(raw) > 1:
            raise ParameterError(f"{label} is given {len(raw)} times; it may appear at most once.")
        else:
            values[name] = convert(raw[0], schema, label)
    return values


def convert(raw: str, schema: Schema, label: str) -> Any:
    kind = schema.get("type", "string")
    value: Any
    if kind == "integer":
        if not _INTEGER.fullmatch(raw.strip()):
            raise ParameterError(f"{label} is invalid: {raw!r} is not an integer.")
        value = int(raw)
    elif kind == "number":
        try:
            value = float(raw)
        except ValueError:
            raise ParameterError(f"{label} is invalid: {raw!r} is not a number.") from None
    elif kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise ParameterError(f"{label} is invalid: {raw!r} is not true or false.")
        value = raw.lower() == "true"
    else:
        value = raw
        check_string(value, schema, label)
    check_bounds(value, schema, label)
    if kind == "integer":
        check_format_range(value, schema, label)
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(str(v) for v in schema["enum"])
        raise ParameterError(f"{label} is invalid: {raw!r} is not one of {allowed}.")
    return value


def check_string(value: str, schema: Schema, label: str) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        if value == "":
            raise ParameterError(f"{label} has an empty value; give a value to match.")
        raise ParameterError(
            f"{label} is invalid: it must be at least {schema['minLength']} characters long."
        )
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise ParameterError(f"{label} is invalid: it is longer than {schema['maxLength']} characters.")
    form = schema.get("format")
    if form == "date-time" and not _is_date_time(value):
        raise ParameterError(
            f"{label} is invalid: {value!r} is not a date and time with a time zone "
            "(e.g. 2024-01-01T00:00:00Z)."
        )
    if form == "date" and not _parses(dt.date.fromisoformat, value):
        raise ParameterError(f"{label} is invalid: {value!r} is not a date (YYYY-MM-DD).")
    if form == "uuid" and not _parses(uuid.UUID, value):
        raise ParameterError(f"{label} is invalid: {value!r} is not a GUID.")
    if form == "dicom-uid-list" and not _is_uid_list(value):
        raise ParameterError(
            f"{label} is invalid: {value!r} is not a valid UID (digits and dots, at most 64 characters) "
            "or a comma-separated list of them."
        )
    if form == "dicom-attribute-id" and not _is_attribute_id(value):
        raise ParameterError(f"{label} is invalid: {value!r} is not a known attribute keyword or tag.")
    if form == "dicom-tag-path" and not _is_tag(value):
        raise ParameterError(f"{label} is invalid: {value!r} is not a known attribute keyword or tag.")
    if form == "dicom-uid" and not _is_uid(value):
        raise ParameterError(
            f"{label} is invalid: {value!r} is not a valid UID (digits and dots, at most 64 characters)."
        )
    if form == "dicom-date-range" and not _is_date_range(value):
        raise ParameterError(
            f"{label} is invalid: {value!r} is not a date (YYYYMMDD) or a date range "
            "(YYYYMMDD-YYYYMMDD, YYYYMMDD- or -YYYYMMDD)."
        )
    if form == "dicom-date-time-range" and not _is_date_time_range(value):
        raise ParameterError(
            f"{label} is invalid: {value!r} is not a date-time (YYYYMMDDHHMMSS, later parts optional, "
            "no time zone offset) or a range of them ({from}-{to}, {from}- or -{to})."
        )
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise ParameterError(f"{label} is invalid: {value!r} does not have the expected form.")


def check_format_range(value: int, schema: Schema, label: str) -> None:
    limits = INTEGER_FORMATS.get(schema.get("format", ""))
    if limits is not None and not limits[0] <= value <= limits[1]:
        bits = schema["format"][3:]
        raise ParameterError(
            f"{label} is invalid: {value} is out of range for a {bits}-bit integer "
            f"({limits[0]} to {limits[1]})."
        )


def check_bounds(value: Any, schema: Schema, label: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    low, high = schema.get("minimum"), schema.get("maximum")
    low_open, high_open = schema.get("exclusiveMinimum") is True, schema.get("exclusiveMaximum") is True
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        if low is not None and high is not None:
            raise ParameterError(f"{label} is invalid. The value must be between {low} and {high}.")
        bound = f"at least {low}" if too_low else f"at most {high}"
        raise ParameterError(f"{label} is invalid. The value must be {bound}.")


def check_array(values: list[Any], schema: Schema, label: str) -> None:
    if "maxItems" in schema and len(values) > schema["maxItems"]:
        raise ParameterError(f"{label} is invalid: at most {schema['maxItems']} values are allowed.")
    if "minItems" in schema and len(values) < schema["minItems"]:
        raise ParameterError(f"{label} is invalid: at least {schema['minItems']} values are required.")


_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})")


def _is_date_time(value: str) -> bool:
    """RFC 3339 date-time: the time zone is mandatory, so `2024-01-01T00:00:00` is refused."""
    return bool(_DATE_TIME.fullmatch(value)) and _parses(dt.datetime.fromisoformat, value.replace("z", "Z"))


def _is_date_range(value: str) -> bool:
    """A DICOM date (DA) or an inclusive range of them, each a real calendar date (`20240101-`)."""
    start, dash, end = value.partition("-")
    dates = [d for d in (start, end) if d] if dash else [value]
    return bool(dates) and all(_DA.fullmatch(d) and _parses(_da, d) for d in dates)


def _is_date_time_range(value: str) -> bool:
    """A DICOM date-time (DT) without offset, or an inclusive range of them; `-` alone is not one."""
    start, dash, end = value.partition("-")
    bounds = [d for d in (start, end) if d] if dash else [value]
    return bool(bounds) and all(_DT.fullmatch(d) for d in bounds)


_DA = re.compile(r"[0-9]{8}")
_DT = re.compile(r"\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?")
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
_TAG = re.compile(r"[0-9A-Fa-f]{8}")


def _is_uid_list(value: str) -> bool:
    """UIDs separated by `,` (or DICOM's `\\`)."""
    return all(_is_uid(uid) for uid in re.split(r"[,\\]", value) if uid)


def _is_uid(value: str) -> bool:
    """Digits and dots, at most 64 characters."""
    return len(value) <= 64 and bool(_UID.fullmatch(value))


def _is_attribute_id(value: str) -> bool:
    """`all`, an 8-hex-digit tag, or a keyword of the DICOM dictionary."""
    return value.lower() == "all" or _is_tag(value)


def _is_tag(value: str) -> bool:
    """An 8-hex-digit tag or a keyword of the DICOM dictionary."""
    return bool(_TAG.fullmatch(value)) or tag_for_keyword(value) is not None


def _da(value: str) -> dt.date:
    return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))


def _parses(parse: Any, value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True
