"""DICOM JSON request bodies (PS3.18 F.2) read and checked before use: tag keys, VRs, value types and values.

`datasets` parses a body that must be a JSON array of data sets; every problem found is collected with the
attribute's path (`0040A370[0].00080050 (AccessionNumber)`) and raised together as `DatasetError`, whose
message is shown to the client (400).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from functools import cache
from typing import Any

from dicom_service import limits
from dicom_service.kernel import tags, values
from dicom_service.kernel.json_writer import JsonDataset
from dicom_service.kernel.tags import dictionary_vr

VRS = frozenset(
    {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV"}
    | {"OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"}
)
_BINARY = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
_INTEGER_RANGES = {
    "US": (0, 2**16 - 1),
    "SS": (-(2**15), 2**15 - 1),
    "UL": (0, 2**32 - 1),
    "SL": (-(2**31), 2**31 - 1),
    "UV": (0, 2**64 - 1),
    "SV": (-(2**63), 2**63 - 1),
    "IS": (-(2**31), 2**31 - 1),
}
_DECIMAL = frozenset({"DS", "FL", "FD"})
_TAG = re.compile(r"[0-9A-F]{8}")
_DT = re.compile(r"\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?")
_TM = re.compile(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?")
_FREE_TEXT = {"ST": 1024, "LT": 10240, "UT": 2**32 - 2, "UC": 2**32 - 2, "UR": 2**32 - 2}
_SURROGATE = re.compile("[\ud800-\udfff]")
_PN_GROUPS = frozenset({"Alphabetic", "Ideographic", "Phonetic"})
_MAX_PROBLEMS = 10


class DatasetError(ValueError):
    """A body that is not valid DICOM JSON, or a data set the transaction cannot accept (400)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems[:_MAX_PROBLEMS]))


def datasets(body: bytes) -> list[JsonDataset]:
    """The data sets of a DICOM JSON array body, each checked; raises DatasetError."""
    if not body.strip():
        raise DatasetError(["The request body is empty; send a DICOM JSON array of data sets."])
    if len(body) > limits.current().json_bytes:  # (the HTTP layer refuses such a body first, with 413)
        raise DatasetError([f"The request body is larger than {limits.current().json_bytes:,} bytes."])
    try:
        parsed = json.loads(body, parse_constant=_not_json)
    except UnicodeDecodeError:
        raise DatasetError(["The request body is not UTF-8 text."]) from None
    except ValueError as exc:
        raise DatasetError([f"The request body is not valid JSON: {exc}."]) from None
    except RecursionError:
        raise DatasetError(["The request body is nested too deeply."]) from None
    if not isinstance(parsed, list) or not parsed:
        raise DatasetError(["The request body must be a DICOM JSON array holding at least one data set."])
    problems: list[str] = []
    for index, item in enumerate(parsed):
        if not isinstance(item, dict):
            problems.append(f"The data set {index + 1} of the body is not a JSON object.")
            continue
        try:
            _check_dataset(item, "", f"/{index}", problems, 0)
        except RecursionError:
            problems.append("The request body's sequences are nested too deeply.")
    if problems:
        raise DatasetError(problems)
    return parsed


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON number")


def display(path: str, tag: str) -> str:
    """How a problem names an attribute: its path of tags and its keyword."""
    return f"{path}{tag} ({tags.keyword(tag)})"


def _check_dataset(dataset: dict[str, Any], path: str, pointer: str, problems: list[str], depth: int) -> None:
    """Adds a sentence per problem of `dataset` (at `path` in tags, `pointer` as a JSON pointer)."""
    if depth > (deepest := limits.current().sequence_depth):
        problems.append(
            f"The sequences are nested more than {deepest} deep (at {pointer}; DICOM_MAX_SEQUENCE_DEPTH)."
        )
        return
    for key, attribute in dataset.items():
        if len(problems) >= _MAX_PROBLEMS:
            return
        at = f"(at {pointer}/{_escape(key)})"
        if not _TAG.fullmatch(key):
            problems.append(
                f"The key '{path}{key}' is not an attribute tag; tags are 8 upper-case hexadecimal "
                f"digits {at}."
            )
            continue
        name = display(path, key)
        if key.startswith(("0000", "0002")) or key[4:] == "0000":
            problems.append(f"The attribute {name} is a command, file meta or group length element {at}.")
            continue
        if not isinstance(attribute, dict):
            problems.append(f"The attribute {name} is not a JSON object with a 'vr' {at}.")
            continue
        problem = _attribute_problem(key, attribute, path, f"{pointer}/{key}", problems, depth)
        if problem:
            problems.append(f"The attribute {name} {problem} {at}.")


def _attribute_problem(
    tag: str, attribute: dict[str, Any], path: str, pointer: str, problems: list[str], depth: int
) -> str | None:
    vr = attribute.get("vr")
    if not isinstance(vr, str) or vr not in VRS:
        return f"has the VR {json.dumps(vr)}, which is not a DICOM value representation"
    allowed = _dictionary_vrs(tag)
    if allowed and vr not in allowed and vr != "UN":
        return f"has the VR {vr}; its VR is {' or '.join(sorted(allowed))}"
    extra = set(attribute) - {"vr", "Value", "InlineBinary", "BulkDataURI"}
    if extra:
        return f"has unknown members {sorted(extra)}; allowed are vr, Value, InlineBinary and BulkDataURI"
    given = [k for k in ("Value", "InlineBinary", "BulkDataURI") if k in attribute]
    if len(given) > 1:
        return "has more than one of Value, InlineBinary and BulkDataURI"
    if "BulkDataURI" in attribute:
        return "has a BulkDataURI; bulk data is not accepted here, send the value inline"
    if "InlineBinary" in attribute:
        if vr not in _BINARY:
            return f"has InlineBinary, which only binary VRs take (not {vr})"
        return _inline_binary_problem(attribute["InlineBinary"])
    if "Value" not in attribute:
        return None
    items = attribute["Value"]
    if not isinstance(items, list):
        return "has a Value that is not a JSON array"
    if vr in _BINARY:
        return f"has a Value; a {vr} value is sent as InlineBinary"
    if vr == "SQ":
        for number, item in enumerate(items):
            if not isinstance(item, dict):
                return f"has item {number + 1} that is not a data set (a JSON object)"
            _check_dataset(item, f"{path}{tag}[{number}].", f"{pointer}/Value/{number}", problems, depth + 1)
        return None
    for item in items:
        problem = _value_problem(vr, item)
        if problem:
            return f"has the value {json.dumps(item)}, which {problem}"
    return None


def _escape(key: str) -> str:
    """A JSON pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


@cache
def _dictionary_vrs(tag: str) -> frozenset[str]:
    if int(tag[:4], 16) % 2:  # private: any VR
        return frozenset()
    vr = dictionary_vr(int(tag, 16))
    return frozenset(vr.split(" or ")) if vr else frozenset()


def _inline_binary_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "has an InlineBinary that is not a base64 string"
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "has an InlineBinary that is not valid base64"
    return None


def _value_problem(vr: str, value: Any) -> str | None:
    if value is None:
        return None
    if vr == "PN":
        return _person_name_problem(value)
    if vr == "AT":
        if not isinstance(value, str) or not _TAG.fullmatch(value):
            return "is not a tag of 8 upper-case hexadecimal digits"
        return None
    if vr in _INTEGER_RANGES:
        number = _integer(value, vr == "IS")
        low, high = _INTEGER_RANGES[vr]
        if number is None:
            return "is not an integer"
        if not low <= number <= high:
            return f"is outside the range of {vr} ({low} to {high})"
        return None
    if vr in _DECIMAL:
        if isinstance(value, bool) or not isinstance(value, int | float):
            if vr == "DS" and isinstance(value, str) and _is_decimal(value):
                return None
            return "is not a number"
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            return "is out of range"
        return None
    if not isinstance(value, str):
        return "is not a string"
    return text_problem(vr, value)


def text_problem(vr: str, value: str) -> str | None:
    """Why `value` is not a valid single value of the text VR `vr`, or None."""
    if _SURROGATE.search(value):
        return "is not valid Unicode text (it holds a lone surrogate)"
    if vr == "DT" and not _DT.fullmatch(value):
        return "is not a date-time (YYYYMMDDHHMMSS.FFFFFF&ZZXX, later parts optional)"
    if vr == "TM" and not _TM.fullmatch(value):
        return "is not a time (HHMMSS.FFFFFF, later parts optional)"
    if vr in _FREE_TEXT:
        if len(value) > _FREE_TEXT[vr]:
            return f"is longer than {_FREE_TEXT[vr]} characters"
        if any(ord(c) < 32 and c not in "\t\n\f\r\x1b" for c in value):
            return "contains control characters"
        return None
    problem = values.problem(vr, value)
    return f"is invalid: {problem}" if problem else None


def _person_name_problem(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "is not a person name object (Alphabetic, Ideographic, Phonetic)"
    unknown = set(value) - _PN_GROUPS
    if unknown:
        return f"has unknown person name members {sorted(unknown)}"
    for group in value.values():
        if not isinstance(group, str):
            return "has a person name group that is not a string"
        if _SURROGATE.search(group):
            return "is not valid Unicode text (it holds a lone surrogate)"
        if len(group) > 64 or group.count("^") > 4:
            return "is invalid: a person name group has more than 64 characters or 5 components"
    return None


def _integer(value: Any, text_allowed: bool) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if text_allowed and isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,12}\s*", value):
        return int(value)
    return None


def _is_decimal(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return len(value) <= 16
