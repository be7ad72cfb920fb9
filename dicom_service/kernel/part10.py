"""Part 10 files element by element: where each element's header and value lie, never a bulk value.

The walker reads element headers through a window over a random-access source (bytes in memory, a file
read with `os.pread`) and skips the values nobody asks for, so walking a 2 GiB instance costs what walking
its header costs. Encapsulated pixel data is walked item by item (8-byte item headers only).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Generator, Iterator
from typing import NamedTuple, Protocol, Self

from dicom_service.kernel.tags import dictionary_vr

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
BIG_ENDIAN = "1.2.840.10008.1.2.2"

UNDEFINED = 0xFFFFFFFF
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
#: Sequences nested deeper than this are refused rather than walked: the ceiling of DICOM_MAX_SEQUENCE_DEPTH
#: (dicom_service/limits.py), whose setting the store checks on what the walker read.
MAX_DEPTH = 80
# Explicit VRs with a 4-byte length (PS3.5 7.1.2).
_LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"})
_WINDOW = 64 << 10
# Every VR of PS3.5 Table 6.2-1, by its two bytes: one lookup checks and decodes it.
_VRS = {
    name.encode(): name
    for name in [
        "AE",
        "AS",
        "AT",
        "CS",
        "DA",
        "DS",
        "DT",
        "FD",
        "FL",
        "IS",
        "LO",
        "LT",
        "OB",
        "OD",
        "OF",
        "OL",
        "OV",
        "OW",
        "PN",
        "SH",
        "SL",
        "SQ",
        "SS",
        "ST",
        "SV",
        "TM",
        "UC",
        "UI",
        "UL",
        "UN",
        "UR",
        "US",
        "UT",
        "UV",
    ]
}


class Part10Error(Exception):
    """The file cannot be walked; the message says where and why."""


class Truncated(Part10Error):
    """An element runs past the end of the file."""


class Unusual(Part10Error):
    """Something the walker leaves to pydicom (no DICM prefix, a deflated data set, odd encodings)."""


class TooDeep(Part10Error):
    """Sequences nested deeper than MAX_DEPTH."""


class Source(Protocol):
    """Random access to the bytes of one file."""

    size: int

    def read_at(self, offset: int, length: int) -> bytes: ...


class BytesSource:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def read_at(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        pass


class FileSource:
    """A file read by position (`os.pread`): no shared file offset, so threads may share it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.fd = os.open(path, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size

    def read_at(self, offset: int, length: int) -> bytes:
        return os.pread(self.fd, length, offset)

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class HeadSource(FileSource):
    """A file whose first `head` bytes are read at once (one call for the elements before the bulk data, which
    is rarely read, and then by position): a received instance is checked without reading its pixels."""

    def __init__(self, path: str | os.PathLike[str], head: int = 64 << 10) -> None:
        super().__init__(path)
        self.head = os.pread(self.fd, head, 0)

    def read_at(self, offset: int, length: int) -> bytes:
        if offset + length <= len(self.head):
            return self.head[offset : offset + length]
        return os.pread(self.fd, length, offset)


class Element(NamedTuple):
    """One element, item or delimiter: `vr` as written (None in implicit VR and for items and delimiters),
    `length` UNDEFINED or the value's length, `offset` where its header starts, `value` where its value
    starts. The end of a defined-length item or sequence is given as an ITEM_END or SEQUENCE_END of
    length 0 at the position after it."""

    tag: int
    vr: str | None
    length: int
    offset: int
    value: int


_element = tuple.__new__  # builds an Element without the Python-level __new__ NamedTuple adds per call


class Meta(NamedTuple):
    syntax: str  # the transfer syntax UID
    start: int  # where the data set starts


class Walker:
    """The elements of one Part 10 file, in file order, nested sequences included."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.size = source.size
        # Bytes in memory are their own window; a file is read through one `_WINDOW` at a time.
        self._buffer = source.data if isinstance(source, BytesSource) else b""
        self._base = 0
        self.meta = self._meta()
        if self.meta.syntax in (DEFLATED_LE, ""):
            raise Unusual("a deflated data set, or no transfer syntax: pydicom reads it")
        self.order = ">" if self.meta.syntax == BIG_ENDIAN else "<"
        self.implicit = self.meta.syntax == IMPLICIT_LE
        self._implicit = struct.Struct(f"{self.order}HHL")
        self._explicit = struct.Struct(f"{self.order}HH2sH")
        self._short, self._long = struct.Struct(f"{self.order}H"), struct.Struct(f"{self.order}L")

    def bytes_at(self, offset: int, length: int) -> bytes:
        """`length` bytes at `offset`, through the window; Truncated when the file is shorter."""
        start = offset - self._base
        if start < 0 or start + length > len(self._buffer):
            start = self._window(offset, length)
        return self._buffer[start : start + length]

    def _window(self, offset: int, length: int) -> int:
        """Where `length` bytes at `offset` start in the buffer, reading them in when needed."""
        start = offset - self._base
        if start < 0 or start + length > len(self._buffer):
            self._buffer = self.source.read_at(offset, max(length, _WINDOW))
            self._base, start = offset, 0
            if length > len(self._buffer):
                raise Truncated(
                    f"{length} bytes at byte {offset} run past the end of the file ({self.size} bytes)"
                )
        return start

    def _meta(self) -> Meta:
        if self.size < 132 or self.bytes_at(128, 4) != b"DICM":
            raise Unusual("no DICM prefix")
        position, syntax = 132, ""
        while position + 8 <= self.size and self.bytes_at(position, 2) == b"\x02\x00":
            head = self.bytes_at(position, 8)
            element = struct.unpack_from("<H", head, 2)[0]
            vr = head[4:6].decode("latin-1")
            if vr in _LONG_VRS:
                length, start = struct.unpack("<L", self.bytes_at(position + 8, 4))[0], position + 12
            else:
                length, start = struct.unpack_from("<H", head, 6)[0], position + 8
            if element == 0x0010:
                syntax = self.bytes_at(start, length).rstrip(b"\0 ").decode("ascii", errors="replace")
            position = start + length
        if position + 8 > self.size:
            raise Truncated("the file ends within or right after its file meta information")
        return Meta(syntax, position)

    def header(self, position: int, implicit: bool) -> Element:
        """The element whose header starts at `position`."""
        buffer, at = self._buffer, position - self._base
        if at < 0 or at + 12 > len(buffer):  # (the common case, inside the window, costs no call)
            if position + 8 > self.size:
                raise Truncated(f"an element header at byte {position} is cut off")
            at = self._window(position, min(12, self.size - position))
            buffer = self._buffer
        if implicit:
            group, number, length = self._implicit.unpack_from(buffer, at)
            return _element(Element, (group << 16 | number, None, length, position, position + 8))
        group, number, code, length = self._explicit.unpack_from(buffer, at)
        if group == 0xFFFE:  # items and delimiters never carry a VR
            length = self._long.unpack_from(buffer, at + 4)[0]
            return _element(Element, (group << 16 | number, None, length, position, position + 8))
        vr = _VRS.get(code)
        if vr is None:
            raise Unusual("implicit VR where explicit was declared, or an unknown VR")
        if vr in _LONG_VRS:
            if position + 12 > self.size:
                raise Truncated(f"an element header at byte {position} is cut off")
            length = self._long.unpack_from(buffer, at + 8)[0]
            return _element(Element, (group << 16 | number, vr, length, position, position + 12))
        return _element(Element, (group << 16 | number, vr, length, position, position + 8))

    def elements(self, stop_at_pixels: bool = False) -> Iterator[Element]:
        """Every element of the data set; with `stop_at_pixels`, up to and including the top-level
        Pixel Data element (its fragments are not walked)."""
        return self._dataset(self.meta.start, self.size, self.implicit, 0, False, stop_at_pixels)

    def top_level(self, position: int | None = None, stop_at_pixels: bool = False) -> Iterator[Element]:
        """The top-level elements from `position` (an element header; by default the data set's first)
        on, in file order: a sequence is yielded, its items are not (walked over only when their length is
        undefined, and then checked as `elements` checks them); encapsulated pixel data is skipped by its
        items' headers. With `stop_at_pixels`, up to and including the top-level Pixel Data."""
        position = self.meta.start if position is None else position
        header, size, implicit = self.header, self.size, self.implicit
        while position < size:
            element = header(position, implicit)
            tag, vr, length, _, value = element
            if tag >> 16 == 0xFFFE:
                raise Unusual(f"an item or delimiter outside a sequence at byte {position}")
            yield element
            if stop_at_pixels and tag == PIXEL_DATA:
                return
            if length != UNDEFINED:  # a value or a defined-length sequence: jumped over
                position = value + length
                if position > size:
                    name = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
                    raise Truncated(f"{name} needs {position} bytes, the file has {size}")
            elif self.is_sequence(element):
                position = _end(self._sequence(element, implicit or vr == "UN", 1))
            else:
                position = self.skip_fragments(value)

    def sequence_contents(self, sequence: Element) -> Iterator[Element]:
        """The items of a sequence found by `top_level`, each item's elements (nested sequences walked)
        and its delimiters, up to and including its SEQUENCE_END."""
        return self._sequence(sequence, self.implicit or sequence.vr == "UN", 1)

    def _dataset(
        self, position: int, end: int, implicit: bool, depth: int, closed: bool, stop: bool = False
    ) -> Generator[Element, None, int]:
        """The elements from `position` to `end`, or to the item delimiter when `closed`; returns the
        position after them."""
        header, size = self.header, self.size
        while position < end:
            element = header(position, implicit)
            tag, vr, length, _, value = element
            if tag >> 16 == 0xFFFE:
                if tag == ITEM_END and closed:
                    yield element
                    return value
                raise Unusual(f"an item or delimiter outside a sequence at byte {position}")
            yield element
            if stop and tag == PIXEL_DATA:
                return value
            if vr != "SQ" and length != UNDEFINED and (vr is not None or dictionary_vr(tag) != "SQ"):
                position = value + length  # the common case: a value to skip
                if position > size:
                    name = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
                    raise Truncated(f"{name} needs {position} bytes, the file has {size}")
                continue
            if self.is_sequence(element):
                position = yield from self._sequence(element, implicit or vr == "UN", depth + 1)
            else:
                position = self.skip_fragments(value)
        if closed:
            raise Truncated("an item has no end")
        return position

    def pixel_data(self) -> Element | None:
        """The top-level Pixel Data element (its value not read), or None when there is none."""
        for element in self.top_level(stop_at_pixels=True):
            if element.tag == PIXEL_DATA:
                return element
        return None

    def is_sequence(self, element: Element) -> bool:
        if element.vr == "SQ":
            return True
        if element.length == UNDEFINED:  # undefined length: a sequence, or encapsulated pixel data
            return element.vr not in ("OB", "OW") and not (element.vr is None and element.tag == PIXEL_DATA)
        return element.vr is None and dictionary_vr(element.tag) == "SQ"

    def _sequence(self, sequence: Element, implicit: bool, depth: int) -> Generator[Element, None, int]:
        if depth > MAX_DEPTH:
            raise TooDeep(f"sequences are nested more than {MAX_DEPTH} deep at byte {sequence.offset}")
        undefined = sequence.length == UNDEFINED
        end = self.size if undefined else sequence.value + sequence.length
        position = sequence.value
        while position < end:
            item = self.header(position, True)
            if item.tag == SEQUENCE_END:
                yield item
                return item.value
            if item.tag != ITEM:
                raise Unusual(f"a sequence holds something other than items at byte {position}")
            yield item
            if item.length == UNDEFINED:
                position = yield from self._dataset(item.value, self.size, implicit, depth, True)
            else:
                position = yield from self._dataset(
                    item.value, item.value + item.length, implicit, depth, False
                )
                yield Element(ITEM_END, None, 0, position, position)
        if undefined:
            raise Truncated("a sequence has no end")
        yield Element(SEQUENCE_END, None, 0, position, position)
        return position

    def fragments(self, position: int) -> Iterator[Element]:
        """The items of encapsulated pixel data whose first item starts at `position` (the Basic Offset
        Table first), up to the sequence delimiter (not yielded)."""
        while True:
            item = self.header(position, True)
            if item.tag == SEQUENCE_END:
                return
            if item.tag != ITEM or item.length == UNDEFINED:
                raise Unusual(f"encapsulated pixel data holds something other than items at byte {position}")
            position = item.value + item.length
            if position > self.size:
                raise Truncated(f"a pixel data fragment at byte {item.offset} is cut off")
            yield item

    def skip_fragments(self, position: int) -> int:
        """The position after the sequence delimiter of encapsulated pixel data."""
        last = position
        for item in self.fragments(position):
            last = item.value + item.length
        return self.header(last, True).value


def _end(walk: Generator[Element, None, int]) -> int:
    """The position a walk returns, its elements passed over."""
    while True:
        try:
            next(walk)
        except StopIteration as stop:
            return int(stop.value)
