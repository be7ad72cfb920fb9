"""Part 10 files straight to DICOM JSON, for the common case: a walk over the element headers.

pydicom's per-element parsing is most of a store's cost. This reader handles Little Endian files (implicit
or explicit VR, native or encapsulated pixel data) in the default, Latin-1 or UTF-8 character sets and
gives up (`None`) on anything else, which pydicom then reads. Its output equals `dicomjson.to_json` of the
pydicom dataset; a test holds it to that on every file pydicom ships.
"""

from __future__ import annotations

import struct

from dicom_service.kernel.json_writer import JsonDataset, raw_values
from dicom_service.kernel.tags import BINARY_VRS, dictionary_vr

IMPLICIT_LE = "1.2.840.10008.1.2"
_UNSUPPORTED = {"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99", ""}  # big endian, deflated, none
_LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"})
_CHARSETS = {"": "latin-1", "ISO_IR 6": "latin-1", "ISO_IR 100": "latin-1", "ISO_IR 192": "utf-8"}
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_CHARSET_TAG = 0x00080005
_HEADER = struct.Struct("<HH")
_LENGTH_16, _LENGTH_32 = struct.Struct("<H"), struct.Struct("<L")


class Unusual(Exception):
    """Something this reader leaves to pydicom."""


class Truncated(Exception):
    """An element runs past the end of the file."""


def read(data: bytes) -> tuple[str, JsonDataset] | None:
    """(transfer syntax, DICOM JSON without bulk data), or None when pydicom must read the file.

    Raises Truncated when an element is cut off.
    """
    if data[128:132] != b"DICM":
        return None
    syntax, position = _meta(data)
    if syntax in _UNSUPPORTED:
        return None
    try:
        dataset, end = _Walk(data, syntax == IMPLICIT_LE).dataset(position, len(data), "latin-1")
    except Unusual:
        return None
    except (struct.error, IndexError) as exc:
        raise Truncated(str(exc)) from None
    if end != len(data):
        raise Truncated(f"the data set ends at byte {end} of {len(data)}")
    return syntax, dataset


def _meta(data: bytes) -> tuple[str, int]:
    position, syntax = 132, ""
    while position + 8 <= len(data) and data[position : position + 2] == b"\x02\x00":
        element = _HEADER.unpack_from(data, position)[1]
        vr = data[position + 4 : position + 6].decode("latin-1")
        if vr in _LONG_VRS:
            length, start = _LENGTH_32.unpack_from(data, position + 8)[0], position + 12
        else:
            length, start = _LENGTH_16.unpack_from(data, position + 6)[0], position + 8
        if element == 0x0010:
            syntax = data[start : start + length].rstrip(b"\0 ").decode("ascii", errors="replace")
        position = start + length
    if position + 8 > len(data):
        raise Truncated("the file ends within or right after its file meta information")
    return syntax, position


class _Walk:
    def __init__(self, data: bytes, implicit: bool) -> None:
        self.data = data
        self.implicit = implicit

    def header(self, position: int) -> tuple[int, str | None, int, int]:
        """(tag, VR, value length, value start) of the element at `position`."""
        data = self.data
        if position + 8 > len(data):
            raise Truncated(f"an element header at byte {position} is cut off")
        group, element = _HEADER.unpack_from(data, position)
        tag = group << 16 | element
        if self.implicit or group == 0xFFFE:
            return tag, None, _LENGTH_32.unpack_from(data, position + 4)[0], position + 8
        vr = data[position + 4 : position + 6].decode("latin-1")
        if vr in _LONG_VRS:
            return tag, vr, _LENGTH_32.unpack_from(data, position + 8)[0], position + 12
        if not vr.isalpha():
            raise Unusual("implicit VR where explicit was declared")
        return tag, vr, _LENGTH_16.unpack_from(data, position + 6)[0], position + 8

    def dataset(self, position: int, end: int, encoding: str) -> tuple[JsonDataset, int]:
        """The elements from `position` to `end` or an item delimiter, and the position after them."""
        out: JsonDataset = {}
        data = self.data
        while position < end:
            tag, vr, length, start = self.header(position)
            if tag == _ITEM_END:
                return out, start
            if tag >> 16 == 0xFFFE:
                raise Unusual("an item or delimiter outside a sequence")
            if vr == "UN" and dictionary_vr(tag):
                raise Unusual("a known element stored as UN")  # pydicom decodes it by its dictionary VR
            if vr is None:
                vr = dictionary_vr(tag) or "UN"
            if " " in vr:  # an ambiguous dictionary VR (US or SS, OB or OW): pydicom resolves it
                if not vr.startswith("OB"):
                    raise Unusual(f"the VR of ({tag >> 16:04X},{tag & 0xFFFF:04X}) is ambiguous")
                vr = "OB"
            if vr == "SQ":
                items, position = self.sequence(start, length, encoding)
                out[f"{tag:08X}"] = {"vr": vr, "Value": items} if items else {"vr": vr}
                continue
            if length == _UNDEFINED:
                if vr not in ("OB", "OW"):
                    raise Unusual("an undefined length outside a sequence or pixel data")
                position = self.skip_fragments(start)
                continue
            position = start + length
            if position > len(data):
                raise Truncated(
                    f"({tag >> 16:04X},{tag & 0xFFFF:04X}) needs {position} bytes, the file has {len(data)}"
                )
            if vr in BINARY_VRS:
                continue
            if tag == _CHARSET_TAG:
                charset = data[start:position].decode("latin-1").strip("\0 ")
                if charset not in _CHARSETS:
                    raise Unusual(f"the character set {charset!r}")
                encoding = _CHARSETS[charset]
            values = raw_values(vr, data[start:position], True, encoding)
            out[f"{tag:08X}"] = {"vr": vr, "Value": values} if values else {"vr": vr}
        return out, position

    def sequence(self, start: int, length: int, encoding: str) -> tuple[list[JsonDataset], int]:
        items: list[JsonDataset] = []
        end = len(self.data) if length == _UNDEFINED else start + length
        position = start
        while position < end:
            tag, _, item_length, item_start = self.header(position)
            if tag == _SEQUENCE_END:
                return items, item_start
            if tag != _ITEM:
                raise Unusual("a sequence holds something other than items")
            if item_length == _UNDEFINED:
                item, position = self.dataset(item_start, len(self.data), encoding)
            else:
                item, position = self.dataset(item_start, item_start + item_length, encoding)
            items.append(item)
        if length == _UNDEFINED:
            raise Truncated("a sequence has no end")
        return items, position

    def skip_fragments(self, position: int) -> int:
        """Past encapsulated pixel data: its items up to the sequence delimiter."""
        while True:
            tag, _, length, start = self.header(position)
            if tag == _SEQUENCE_END:
                return start
            if tag != _ITEM or length == _UNDEFINED:
                raise Unusual("encapsulated pixel data holds something other than items")
            position = start + length
            if position > len(self.data):
                raise Truncated("a pixel data fragment is cut off")
