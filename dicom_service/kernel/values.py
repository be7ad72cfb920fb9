"""Value rules of the indexed VRs, and the normal forms the index compares.

A failed rule is a sentence in the service's `DICOM100:` comment style, which STOW-RS reports per attribute.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
_CS = re.compile(r"[A-Z0-9 _]*")
_CONTROL = re.compile(r"[\x00-\x1a\x1c-\x1f]")  # below space, ESC (character set switches) allowed
_MAX_LENGTH = {"AE": 16, "CS": 16, "SH": 16, "LO": 64, "UI": 64, "DA": 8, "TM": 14, "AS": 4, "ST": 1024}


def problem(vr: str, value: str) -> str | None:
    """Why `value` is not a valid single value of `vr`, or None when it is."""
    limit = _MAX_LENGTH.get(vr)
    if limit is not None and len(value) > limit:
        return f"value length exceeds maximum length of {limit}"
    if _CONTROL.search(value):
        return "value contains invalid control characters"
    if vr == "UI":
        if not _UID.fullmatch(value):
            return "value contains invalid character"
    elif vr == "DA":
        if not _is_date(value):
            return "one of the date values does not match the pattern YYYYMMDD"
    elif vr == "CS":
        if not _CS.fullmatch(value):
            return "value contains invalid character"
    elif vr == "PN":
        return _person_name_problem(value)
    elif vr in ("LO", "SH") and "\\" in value:
        return "value contains invalid character"
    return None


def _is_date(value: str) -> bool:
    if len(value) != 8 or not value.isdigit():
        return False
    try:
        dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return False
    return True


def _person_name_problem(value: str) -> str | None:
    groups = value.split("=")
    if len(groups) > 3:
        return "value contains too many groups"
    for group in groups:
        if len(group) > 64:
            return "value length exceeds maximum length of 64"
        if group.count("^") > 4:
            return "value contains too many components"
    return None


def comment(tag_display: str, vr: str, value: str, reason: str) -> str:
    return f'DICOM100: {tag_display} - Content "{value}" does not validate VR {vr}: {reason}'


def fold_text(value: str) -> str:
    """Case-insensitive, accent-sensitive comparison form."""
    return value.strip().lower()


def fold_name(value: str) -> str:
    """Case- and accent-insensitive person name, its components as words: `Müller^Hans` → `muller hans`."""
    alphabetic = value.split("=")[0]
    decomposed = unicodedata.normalize("NFKD", alphabetic.replace("^", " "))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def is_date_query(value: str) -> bool:
    """A date or a date range: `20240101`, `20240101-20241231`, `20240101-`, `-20241231`."""
    start, dash, end = value.partition("-")
    if not dash:
        return _is_date(value)
    if not start and not end:
        return False
    return (not start or _is_date(start)) and (not end or _is_date(end))
