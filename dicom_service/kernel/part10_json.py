"""Part 10 files straight to DICOM JSON through the element walker, bulk data never read.

pydicom's per-element parsing is most of a store's cost, and pydicom loads a deferred value as soon as it
is looked at. This reader handles Little Endian files (implicit or explicit VR, native or encapsulated pixel
data) in the default, Latin-1 or UTF-8 character sets, reading only the values DICOM JSON shows, and raises
`Unusual` on anything else, which pydicom then reads. Its output equals `dicomjson.to_json` of the pydicom
dataset; a test holds it to that on every file pydicom ships.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from dicom_service.kernel.json_writer import JsonDataset, raw_values
from dicom_service.kernel.part10 import (
    BIG_ENDIAN,
    ITEM,
    ITEM_END,
    PIXEL_DATA,
    SEQUENCE_END,
    UNDEFINED,
    Element,
    Source,
    Unusual,
    Walker,
)
from dicom_service.kernel.tags import BINARY_VRS, dictionary_vr

_CHARSETS = {"": "latin-1", "ISO_IR 6": "latin-1", "ISO_IR 100": "latin-1", "ISO_IR 192": "utf-8"}
_CHARSET_TAG = 0x00080005
#: Top-level elements whose position the frame index needs (Pixel Data, the Extended Offset Table).
EXTENDED_OFFSETS, EXTENDED_LENGTHS = 0x7FE00001, 0x7FE00002
POSITIONS = frozenset({PIXEL_DATA, EXTENDED_OFFSETS, EXTENDED_LENGTHS})


class Read(NamedTuple):
    syntax: str
    dataset: JsonDataset  # DICOM JSON without bulk data
    positions: dict[int, Element]  # the top-level elements of POSITIONS found in the file
    walker: Walker
    binary: list[tuple[Element, str]]  # each binary element, with its path prefix (kernel.bulk_data)


def read(source: Source) -> Read:
    """The file's transfer syntax, DICOM JSON and bulk-data positions; Unusual when pydicom must read it,
    Truncated when an element is cut off."""
    walker = Walker(source)
    if walker.meta.syntax == BIG_ENDIAN:
        raise Unusual("big endian: pydicom reads it")
    root: JsonDataset = {}
    datasets: list[tuple[JsonDataset, str]] = [(root, "latin-1")]  # the open data sets, with their encoding
    sequences: list[dict[str, Any]] = []  # the open sequences' attributes
    open_tags: list[int] = []  # their tags
    binary: list[tuple[Element, str]] = []
    positions: dict[int, Element] = {}
    bytes_at = walker.bytes_at
    out, encoding = root, "latin-1"
    for element in walker.elements():
        tag, vr, length, _, value = element
        if tag >> 16 == 0xFFFE:
            if tag == ITEM:
                item: JsonDataset = {}
                sequences[-1]["Value"].append(item)
                datasets.append((item, encoding))
            elif tag == ITEM_END:
                datasets.pop()
            elif tag == SEQUENCE_END:
                open_tags.pop()
                attribute = sequences.pop()
                if not attribute["Value"]:
                    del attribute["Value"]
            out, encoding = datasets[-1]
            continue
        if vr is None:
            vr = dictionary_vr(tag) or "UN"
        elif vr == "UN" and dictionary_vr(tag):
            raise Unusual("a known element stored as UN")  # pydicom decodes it by its dictionary VR
        if " " in vr:  # an ambiguous dictionary VR (US or SS, OB or OW): pydicom resolves it
            if not vr.startswith("OB"):
                raise Unusual(f"the VR of ({tag >> 16:04X},{tag & 0xFFFF:04X}) is ambiguous")
            vr = "OB"
        if vr == "SQ":
            attribute = {"vr": vr, "Value": []}
            out[f"{tag:08X}"] = attribute
            sequences.append(attribute)
            open_tags.append(tag)
            continue
        if tag in POSITIONS and len(datasets) == 1:
            positions[tag] = element
        if length == UNDEFINED:
            if walker.is_sequence(element):  # walked as a sequence, but not one by its VR
                raise Unusual("an undefined length outside a sequence or pixel data")
            binary.append((element, _prefix(open_tags, sequences)))
            continue
        if vr in BINARY_VRS:
            binary.append((element, _prefix(open_tags, sequences)))
            continue
        data = bytes_at(value, length)
        if tag == _CHARSET_TAG:
            charset = data.decode("latin-1").strip("\0 ")
            if charset not in _CHARSETS:
                raise Unusual(f"the character set {charset!r}")
            encoding = _CHARSETS[charset]
            datasets[-1] = (out, encoding)
        values = raw_values(vr, data, True, encoding)
        out[f"{tag:08X}"] = {"vr": vr, "Value": values} if values else {"vr": vr}
    return Read(walker.meta.syntax, root, positions, walker, binary)


def _prefix(tags: list[int], sequences: list[dict[str, Any]]) -> str:
    """The path of the current data set (kernel.bulk_data): each open sequence's tag and item number."""
    return "".join(
        f"{tag:08X}.{len(sequence['Value']) - 1}." for tag, sequence in zip(tags, sequences, strict=True)
    )
