"""Extended query tags: which tags may be added, and how an instance's value for one is checked and indexed.

Everything here is independent of HTTP and storage. `check_new` turns the add request's entries into
`NewTag`s or raises `TagError` with a sentence for the client; `indexed_value` reads one instance's value
from its stored DICOM JSON and gives its comparison form, or the `DICOM100:` reason it cannot be indexed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pydicom.datadict import keyword_for_tag, tag_for_keyword

from dicom_service.kernel import tags, values
from dicom_service.kernel.tags import Level, Match

MAX_TAGS = 128
# Range matching on DA, DT and TM; fuzzy matching on PN.
SUPPORTED_VRS: tuple[str, ...] = ("AE", "AS", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "PN", "SH")
SUPPORTED_VRS += ("SL", "SS", "TM", "UI", "UL", "US")
_NUMBERS = {"DS", "FD", "FL", "IS", "SL", "SS", "UL", "US"}
_INTEGER_RANGES = {"SL": (-(2**31), 2**31 - 1), "SS": (-(2**15), 2**15 - 1), "UL": (0, 2**32 - 1)}
_INTEGER_RANGES |= {"US": (0, 2**16 - 1), "IS": (-(2**31), 2**31 - 1)}
_DT = re.compile(r"\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?")
_TM = re.compile(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?")
_DS = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class TagError(ValueError):
    """An extended query tag the service cannot accept or find; the message is shown to the client (400)."""


@dataclass(frozen=True)
class NewTag:
    path: str  # 8 upper-case hex digits
    vr: str
    private_creator: str | None
    level: Level


@dataclass(frozen=True)
class StoredTag:
    id: int
    path: str
    vr: str
    private_creator: str | None
    level: Level
    status: str  # adding, ready, deleting
    query_status: str  # enabled, disabled
    operation_id: str | None
    error_count: int

    @property
    def searchable(self) -> bool:
        return self.status == "ready" and self.query_status == "enabled"

    @property
    def name(self) -> str:
        """How the `erroneous-dicom-attributes` header names it: its keyword, or its path."""
        return keyword_for_tag(int(self.path, 16)) or self.path

    @property
    def match(self) -> Match:
        return match_of(self.vr)


def match_of(vr: str) -> Match:
    if vr == "PN":
        return Match.PERSON_NAME
    if vr in ("DA", "DT", "TM"):
        return Match.DATE
    if vr == "UI":
        return Match.UID
    return Match.TEXT


def parse_path(text: str) -> str:
    """The tag a tag path names (8 hex digits or a public keyword); TagError when it names none."""
    if len(text) == 8 and all(c in "0123456789abcdefABCDEF" for c in text):
        return text.upper()
    number = tag_for_keyword(text)
    if number is None:
        raise TagError(f"The extended query tag '{text}' is invalid as it is not a known attribute keyword.")
    return f"{number:08X}"


def check_new(entries: list[Any]) -> list[NewTag]:
    """The tags an add request asks for, checked one by one (the body's shape is checked before)."""
    found: list[NewTag] = []
    for number, entry in enumerate(entries):
        tag = _check_entry(entry, f"/{number}")
        if any(t.path == tag.path for t in found):
            raise TagError(f"The extended query tag '{tag.path}' is given more than once.")
        found.append(tag)
    return found


def _check_entry(entry: dict[str, Any], pointer: str) -> NewTag:
    path = parse_path(entry["path"])
    vr = entry.get("vr")
    creator = entry.get("privateCreator")
    level = Level(entry["level"])
    group, element = int(path[:4], 16), int(path[4:], 16)
    if group % 2 == 1:  # a private tag
        if element <= 0x00FF:
            raise TagError(
                f"The extended query tag '{path}' is a private creator element, not a private tag."
            )
        if not vr or not creator:
            raise TagError(
                f"The extended query tag '{path}' is private: give its 'vr' and its 'privateCreator' "
                f"(at {pointer})."
            )
        if values.problem("LO", creator) or not creator.strip():
            raise TagError(f"The private creator '{creator}' of the extended query tag '{path}' is invalid.")
    else:
        if creator:
            raise TagError(f"The extended query tag '{path}' is a standard tag: it has no private creator.")
        known = tags.dictionary_vr(int(path, 16))
        if known is None:
            raise TagError(f"The extended query tag '{path}' is not a known standard tag.")
        if known == "SQ":
            raise TagError(f"The extended query tag '{path}' is a sequence; sequences are not supported.")
        choices = known.split(" or ")
        if vr is None:
            vr = choices[0]
        elif vr not in choices:
            raise TagError(
                f"The extended query tag '{path}' has value representation {known}, not '{vr}' "
                f"(at {pointer}/vr)."
            )
        if path in tags.SEARCHABLE or path in (tags.SOP_CLASS_UID,):
            raise TagError(f"The extended query tag '{path}' is already searchable without being added.")
    if vr not in SUPPORTED_VRS:
        raise TagError(
            f"The extended query tag '{path}' is invalid as the value representation '{vr}' is not supported."
        )
    return NewTag(path, vr, creator if group % 2 == 1 else None, level)


@dataclass(frozen=True)
class Indexed:
    value: str  # comparison form
    element: dict[str, Any]  # the attribute as DICOM JSON, its first value only: what QIDO-RS returns


def indexed_value(metadata: dict[str, Any], tag: StoredTag) -> Indexed | str | None:
    """The instance's value for `tag`: its index entry, a `DICOM100:` reason it is invalid, or None (absent,
    empty, or a private tag of another creator)."""
    if tag.private_creator is not None and not _creator_matches(metadata, tag):
        return None
    element = metadata.get(tag.path)
    if not element or not element.get("Value"):
        return None
    value = element["Value"][0]
    if value is None:
        return None
    if tag.vr == "PN":
        text = value.get("Alphabetic", "") if isinstance(value, dict) else str(value)
        if not text:
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        text = repr(value)
    else:
        text = str(value)
    reason = _problem(tag.vr, text, value)
    if reason is not None:
        return values.comment(tags.display(tag.path), tag.vr, text, reason)
    return Indexed(comparison_form(tag.vr, text), {"vr": element.get("vr", tag.vr), "Value": [value]})


def comparison_form(vr: str, text: str) -> str:
    """How values of `vr` are compared (stored values and query values alike); ValueError if not a number."""
    text = text.strip()
    if vr == "PN":
        return values.fold_name(text)
    if vr in _NUMBERS:
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(text)
        return repr(float(number))
    if vr in ("DA", "DT", "TM", "UI"):
        return text
    return values.fold_text(text)


def _creator_matches(metadata: dict[str, Any], tag: StoredTag) -> bool:
    block = int(tag.path[4:6], 16)
    creator = metadata.get(f"{tag.path[:4]}00{block:02X}", {}).get("Value") or [None]
    return str(creator[0] or "").strip() == (tag.private_creator or "").strip()


def _problem(vr: str, text: str, value: Any) -> str | None:
    if vr in _NUMBERS:
        return _number_problem(vr, text, value)
    if vr == "DT":
        return None if _DT.fullmatch(text) else "value does not match the pattern YYYYMMDDHHMMSS.FFFFFF&ZZXX"
    if vr == "TM":
        return None if _TM.fullmatch(text) else "value does not match the pattern HHMMSS.FFFFFF"
    if len(text) > 256:
        return "value length exceeds maximum length of 256"
    return values.problem(vr, text)


def _number_problem(vr: str, text: str, value: Any) -> str | None:
    if isinstance(value, str):
        if vr == "DS" and (len(text) > 16 or not _DS.fullmatch(text.strip())):
            return "value is not a decimal string of at most 16 characters"
        try:
            number = float(text)
        except ValueError:
            return "value is not a number"
    else:
        number = float(value)
    if not math.isfinite(number):
        return "value is not a finite number"
    limits = _INTEGER_RANGES.get(vr)
    if limits is not None and (not number.is_integer() or not limits[0] <= number <= limits[1]):
        return f"value is not an integer between {limits[0]} and {limits[1]}"
    return None
