"""Where Pixel Data and each of its frames lie in a stored Part 10 file, found once at store time.

Native pixel data: frame i is `frame_bits` bits at `pixels_offset + i * frame_bits / 8` (computed from
Rows, Columns, SamplesPerPixel, BitsAllocated). Encapsulated pixel data: each frame is a span of the file
holding its fragment items, found from the Extended Offset Table, else the Basic Offset Table, else the
fragments (one per frame, all for one frame, or split after each JPEG / JPEG 2000 end marker, pydicom's
rule). A frame is then read with one ranged read of its span, from a file or a blob.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydicom.encaps import parse_basic_offsets

from dicom_service.kernel.json_writer import JsonDataset, first_value
from dicom_service.kernel.part10 import PIXEL_DATA, UNDEFINED, Element, Part10Error, Walker
from dicom_service.kernel.part10_json import EXTENDED_LENGTHS, EXTENDED_OFFSETS, Read

ReadAt = Callable[[int, int], bytes]  # (offset, length) → bytes of the stored file

_HEADER = struct.Struct("<4sqqqqq")
_MAGIC = b"FIX1"
_ITEM_HEADER = struct.Struct("<HHL")
_END_MARKER = b"\xff\xd9"  # JPEG EOI, and JPEG 2000 EOC


class FrameMissing(Exception):
    """The frame cannot be found in the pixel data; the message says why."""


@dataclass(frozen=True)
class Geometry:
    """The image attributes that size a native frame."""

    rows: int
    columns: int
    samples: int
    bits: int
    photometric: str
    frames: int

    @classmethod
    def of_json(cls, dataset: JsonDataset) -> Geometry:
        def number(tag: str, default: int = 0) -> int:
            value = first_value(dataset.get(tag))
            return value if isinstance(value, int) and value > 0 else default

        photometric = first_value(dataset.get("00280004"))
        return cls(
            rows=number("00280010"),
            columns=number("00280011"),
            samples=number("00280002", 1),
            bits=number("00280100"),
            photometric=photometric if isinstance(photometric, str) else "",
            frames=number("00280008", 1),
        )

    @property
    def frame_bits(self) -> int:
        bits = self.rows * self.columns * self.samples * self.bits
        return bits * 2 // 3 if self.photometric == "YBR_FULL_422" else bits  # chroma shared by 2 pixels


@dataclass(frozen=True)
class FrameIndex:
    pixels_header: int  # where the Pixel Data element starts in the file: the header is all before it
    pixels_offset: int  # where its value starts
    pixels_length: int  # its length (encapsulated: its items, up to and including the sequence delimiter)
    frames: int
    frame_bits: int = 0  # native: the size of one frame, in bits
    spans: tuple[tuple[int, int], ...] = ()  # encapsulated: per frame, (offset, length) of its items

    @property
    def encapsulated(self) -> bool:
        return not self.frame_bits

    def span(self, index: int) -> tuple[int, int]:
        """(offset, length) of the bytes to read for frame `index` (0-based)."""
        if self.encapsulated:
            if index >= len(self.spans):
                raise FrameMissing(
                    f"frame {index + 1} cannot be found in the encapsulated pixel data, "
                    f"which holds {len(self.spans)} frame(s)"
                )
            return self.spans[index]
        start, end = index * self.frame_bits, (index + 1) * self.frame_bits
        if (end + 7) // 8 > self.pixels_length:
            raise FrameMissing(f"the pixel data is shorter than its {self.frames} frame(s)")
        return self.pixels_offset + start // 8, (end + 7) // 8 - start // 8

    def read(self, read_at: ReadAt, index: int) -> bytes:
        """The bytes of frame `index` as stored (a code stream, or native pixel bytes), by ranged reads."""
        offset, length = self.span(index)
        data = read_at(offset, length)
        if len(data) != length:
            raise FrameMissing(f"frame {index + 1} runs past the end of the stored file")
        if self.encapsulated:
            return _defragment(data, index)
        first = (index * self.frame_bits) % 8
        if first == 0 and self.frame_bits % 8 == 0:
            return data
        # BitsAllocated 1: frames are bit-packed and need not start on a byte boundary.
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
        return np.packbits(bits[first : first + self.frame_bits], bitorder="little").tobytes()

    def encode(self) -> bytes:
        """A compact binary form for the index database."""
        head = _HEADER.pack(
            _MAGIC, self.pixels_header, self.pixels_offset, self.pixels_length, self.frames, self.frame_bits
        )
        flat = [value for span in self.spans for value in span]
        return head + struct.pack(f"<{len(flat)}q", *flat)

    @classmethod
    def decode(cls, data: bytes) -> FrameIndex:
        magic, header, offset, length, frames, frame_bits = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError("not a frame index")
        flat = struct.unpack_from(f"<{(len(data) - _HEADER.size) // 8}q", data, _HEADER.size)
        spans = tuple(zip(flat[0::2], flat[1::2], strict=True))
        return cls(header, offset, length, frames, frame_bits, spans)


def of_read(read: Read) -> FrameIndex | None:
    """The frame index of a file read by `part10_json.read`; None when it has no (7FE0,0010) Pixel Data."""
    pixels = read.positions.get(PIXEL_DATA)
    if pixels is None:
        return None
    eot = read.positions.get(EXTENDED_OFFSETS), read.positions.get(EXTENDED_LENGTHS)
    tables = (eot[0], eot[1]) if eot[0] is not None and eot[1] is not None else None
    return build(read.walker, pixels, Geometry.of_json(read.dataset), tables)


def build(
    walker: Walker, pixels: Element, geometry: Geometry, eot: tuple[Element, Element] | None = None
) -> FrameIndex:
    """The frame index of the top-level Pixel Data element `pixels` found by `walker`; Part10Error when
    the pixel data cannot be indexed (its frames are then found the slow way, by pydicom)."""
    if pixels.tag != PIXEL_DATA:
        raise Part10Error("only (7FE0,0010) Pixel Data is indexed")
    if pixels.length != UNDEFINED:
        if not (geometry.rows and geometry.columns and geometry.bits):
            raise Part10Error("the pixel data has no Rows, Columns or BitsAllocated to find its frames by")
        return FrameIndex(
            pixels.offset, pixels.value, pixels.length, geometry.frames, frame_bits=geometry.frame_bits
        )
    items = list(walker.fragments(pixels.value))
    if not items:
        raise Part10Error("encapsulated pixel data without a Basic Offset Table item")
    table, fragments = items[0], items[1:]
    end = walker.header((fragments or items)[-1].value + (fragments or items)[-1].length, True).value
    first = fragments[0].offset if fragments else end
    last = fragments[-1].value + fragments[-1].length if fragments else end

    def through(start: int, stop: int) -> tuple[int, int]:
        return start, stop - start

    spans: list[tuple[int, int]]
    if eot is not None:
        offsets = _eight_byte_values(walker, eot[0])
        lengths = _eight_byte_values(walker, eot[1])
        spans = [(first + o, 8 + n) for o, n in zip(offsets, lengths, strict=False)]
    elif table.length:
        starts = [first + o for o in parse_basic_offsets(walker.bytes_at(table.offset, 8 + table.length))]
        spans = [through(a, b) for a, b in zip(starts, [*starts[1:], last], strict=True)]
    elif len(fragments) == geometry.frames or geometry.frames == 1:
        spans = (
            [through(f.offset, f.value + f.length) for f in fragments]
            if len(fragments) == geometry.frames
            else [through(first, last)]
        )
    else:
        spans = _by_end_markers(walker, fragments)
    for offset, length in spans:
        if offset < first or offset + length > last:
            raise Part10Error("an offset table points outside the pixel data")
    return FrameIndex(pixels.offset, pixels.value, end - pixels.value, geometry.frames, spans=tuple(spans))


def _eight_byte_values(walker: Walker, element: Element) -> list[int]:
    data = walker.bytes_at(element.value, element.length)
    return list(struct.unpack(f"{walker.order}{len(data) // 8}Q", data[: len(data) // 8 * 8]))


def _by_end_markers(walker: Walker, fragments: list[Element]) -> list[tuple[int, int]]:
    """A frame ends with the fragment whose last 10 bytes hold an end marker (pydicom's rule); only each
    fragment's tail is read."""
    spans, start = [], None
    for fragment in fragments:
        start = fragment.offset if start is None else start
        end = fragment.value + fragment.length
        if _END_MARKER in walker.bytes_at(max(end - 10, fragment.value), min(10, fragment.length)):
            spans.append((start, end - start))
            start = None
    if start is not None:  # the last frame has no end marker: pydicom returns it all the same
        spans.append((start, fragments[-1].value + fragments[-1].length - start))
    return spans


def _defragment(data: bytes, index: int) -> bytes:
    """The concatenated values of the fragment items in `data`."""
    pieces, position = [], 0
    while position < len(data):
        group, number, length = _ITEM_HEADER.unpack_from(data, position)
        if (group, number) != (0xFFFE, 0xE000) or position + 8 + length > len(data):
            raise FrameMissing(f"frame {index + 1}: the stored fragments do not match the frame index")
        pieces.append(data[position + 8 : position + 8 + length])
        position += 8 + length
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


_GEOMETRY_TAGS = {0x00280002, 0x00280004, 0x00280008, 0x00280010, 0x00280011, 0x00280100}


def locate(walker: Walker) -> FrameIndex | None:
    """The frame index found by walking the header only (for files the DICOM JSON reader leaves to
    pydicom); None when the file has no (7FE0,0010) Pixel Data."""
    found: dict[int, bytes] = {}
    tables: dict[int, Element] = {}
    for element in walker.top_level(stop_at_pixels=True):
        if element.tag in _GEOMETRY_TAGS and element.length != UNDEFINED:
            found[element.tag] = walker.bytes_at(element.value, element.length)
        elif element.tag in (EXTENDED_OFFSETS, EXTENDED_LENGTHS):
            tables[element.tag] = element
        elif element.tag == PIXEL_DATA:
            eot = (tables[EXTENDED_OFFSETS], tables[EXTENDED_LENGTHS]) if len(tables) == 2 else None
            return build(walker, element, _raw_geometry(found, walker.order), eot)
    return None


def _raw_geometry(found: dict[int, bytes], order: str) -> Geometry:
    def us(tag: int, default: int = 0) -> int:
        value = found.get(tag, b"")
        return int(struct.unpack_from(f"{order}H", value)[0]) if len(value) >= 2 else default

    def text(tag: int) -> str:
        return found.get(tag, b"").decode("latin-1").strip("\0 ")

    try:
        frames = max(int(text(0x00280008) or 1), 1)
    except ValueError:  # a malformed IS value: a single image, as pydicom reads it
        frames = 1
    return Geometry(
        us(0x00280010), us(0x00280011), us(0x00280002, 1), us(0x00280100), text(0x00280004), frames
    )
