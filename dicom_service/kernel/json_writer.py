"""Datasets as DICOM JSON (PS3.18 F.2), without the bulk-data VRs.

Elements still raw from the file are converted here directly (pydicom's per-element conversion costs most
of a store); anything unusual (ambiguous VRs, non-default character sets) goes through pydicom.
"""

from __future__ import annotations

import struct
from typing import Any

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import Tag

from dicom_service.kernel.tags import BINARY_VRS, dictionary_vr

JsonDataset = dict[str, Any]

_INTEGERS = frozenset({"IS", "SL", "SS", "SV", "UL", "US", "UV"})
_DECIMALS = frozenset({"DS", "FL", "FD"})
_BINARY_NUMBERS = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d", "UV": "Q", "SV": "q"}
_SINGLE_VALUED_TEXT = frozenset({"LT", "ST", "UT", "UR"})
_TEXT = frozenset({"AE", "AS", "CS", "DA", "DT", "LO", "LT", "SH", "ST", "TM", "UC", "UI", "UR", "UT"})
_DEFAULT_CHARSETS = frozenset({None, "", "ISO_IR 6", "ISO_IR 100", "ISO_IR 192"})
_SPECIFIC_CHARACTER_SET = 0x00080005


def to_json(ds: Dataset, inherited: str | None = "latin-1") -> JsonDataset:
    """`ds` as DICOM JSON, binary VRs left out; a sequence item inherits its parent's character set."""
    encoding = _encoding(ds, inherited)
    out: JsonDataset = {}
    for tag in ds._dict:
        raw = ds._dict[tag]
        if isinstance(raw, RawDataElement) and _bulk(tag, raw.VR):
            continue  # never converted: a deferred bulk value would be read from the file whole
        if (
            isinstance(raw, RawDataElement)
            and encoding is not None
            and (raw.value is not None or not raw.length)
        ):
            vr = raw.VR if raw.VR not in (None, "UN") else dictionary_vr(tag) or "UN"
            if vr in BINARY_VRS:
                continue
            if vr in _TEXT or vr in _BINARY_NUMBERS or vr in ("IS", "DS", "PN", "AT"):
                values = raw_values(vr, raw.value, raw.is_little_endian, encoding)
                out[f"{tag:08X}"] = {"vr": vr, "Value": values} if values else {"vr": vr}
                continue
        element = ds[tag]
        vr = element.VR
        if vr in BINARY_VRS:
            continue
        if vr == "SQ":
            items = [to_json(item, encoding) for item in element.value]
            out[f"{tag:08X}"] = {"vr": vr, "Value": items} if items else {"vr": vr}
            continue
        values = _values(vr, element.value)
        out[f"{tag:08X}"] = {"vr": vr, "Value": values} if values else {"vr": vr}
    return out


def _bulk(tag: int, vr: str | None) -> bool:
    """Whether a raw element is bulk data, which DICOM JSON leaves out (pydicom reads an explicit UN of a
    known attribute by its dictionary VR; "OB or OW" is bulk data either way)."""
    known = dictionary_vr(tag)
    resolved = known if vr in (None, "UN") and known else vr or "UN"
    return all(choice in BINARY_VRS for choice in resolved.split(" or "))


def _encoding(ds: Dataset, inherited: str | None) -> str | None:
    """The codec for raw text, or None when pydicom must decode (a non-default character set)."""
    raw = ds._dict.get(Tag(_SPECIFIC_CHARACTER_SET))
    if raw is None:
        return inherited
    value = ds[_SPECIFIC_CHARACTER_SET].value
    charset = value[0] if isinstance(value, MultiValue | list) and value else value
    if charset not in _DEFAULT_CHARSETS or (isinstance(value, MultiValue) and len(value) > 1):
        return None
    return "utf-8" if charset == "ISO_IR 192" else "latin-1"


def raw_values(vr: str, data: bytes | None, little: bool, encoding: str) -> list[Any]:
    if not data:
        return []
    if vr in _BINARY_NUMBERS:
        order = "<" if little else ">"
        size = struct.calcsize(order + _BINARY_NUMBERS[vr])
        count = len(data) // size
        return list(struct.unpack(order + _BINARY_NUMBERS[vr] * count, data[: count * size]))
    if vr == "AT":
        count = len(data) // 4
        pairs = struct.unpack(("<" if little else ">") + "HH" * count, data[: count * 4])
        return [f"{pairs[i]:04X}{pairs[i + 1]:04X}" for i in range(0, len(pairs), 2)]
    text = data.decode(encoding, errors="replace")
    items = [text] if vr in _SINGLE_VALUED_TEXT else text.split("\\")
    items = [text.rstrip("\x00 ")] if vr in _SINGLE_VALUED_TEXT else [item.strip("\x00 ") for item in items]
    if vr == "PN":
        return [_person_name(item) for item in items]
    if vr == "IS":
        return [_number(item, int) for item in items]
    if vr == "DS":
        return [_number(item, float) for item in items]
    return [item or None for item in items] if any(items) else []


def _values(vr: str, value: Any) -> list[Any]:
    if value is None or value == "" or value == b"":
        return []
    items = list(value) if isinstance(value, MultiValue | list | tuple) else [value]
    if vr == "PN":
        return [_person_name(str(v)) for v in items]
    if vr in _INTEGERS:
        return [_number(v, int) for v in items]
    if vr in _DECIMALS:
        return [_number(v, float) for v in items]
    if vr == "AT":
        return [f"{int(v):08X}" for v in items]
    return [None if v == "" else str(v) for v in items]


def _number(value: Any, kind: type) -> Any:
    if value is None or value == "":
        return None
    try:
        number = kind(value) if kind is float or not isinstance(value, str) else int(float(value))
    except ValueError:
        return None
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def _person_name(text: str) -> dict[str, str] | None:
    if not text:
        return None
    names = dict(zip(("Alphabetic", "Ideographic", "Phonetic"), text.split("="), strict=False))
    return {k: v for k, v in names.items() if v} or None


def first_value(attribute: dict[str, Any] | None) -> Any:
    if not attribute or not attribute.get("Value"):
        return None
    return attribute["Value"][0]


def pick(dataset: JsonDataset, wanted: tuple[str, ...] | frozenset[str]) -> JsonDataset:
    return {tag: dataset[tag] for tag in wanted if tag in dataset}
