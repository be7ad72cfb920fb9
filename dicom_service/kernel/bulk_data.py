"""The bulk-data attributes of a stored Part 10 file: where each binary value lies, found by walking its
element headers (never reading a large value), and what DICOM JSON shows for it (PS3.18 F.2.6/F.2.7).

A binary attribute (OB, OD, OF, OL, OV, OW, UN) of at most `threshold` bytes is shown inline
(`InlineBinary`); Pixel Data and larger ones are shown as a `BulkDataURI`. A path names an attribute: its tag,
or inside sequences each sequence's tag and the 0-based item number before it, joined by dots
(`00283010.0.00283006`). Encapsulated values nested in sequences are left out (there is no frame index for
them), as are files the walker leaves to pydicom (deflated, no DICM prefix).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from dicom_service.kernel.frame_index import FrameIndex
from dicom_service.kernel.part10 import (
    ITEM,
    PIXEL_DATA,
    SEQUENCE_END,
    UNDEFINED,
    Element,
    Part10Error,
    Source,
    Walker,
)
from dicom_service.kernel.part10_json import Read
from dicom_service.kernel.tags import BINARY_VRS, dictionary_vr

PIXEL_PATH = f"{PIXEL_DATA:08X}"


@dataclass(frozen=True)
class BulkElement:
    path: str
    vr: str
    offset: int  # where its value starts in the file
    length: int  # its length; UNDEFINED for encapsulated Pixel Data
    inline: str | None = None  # base64 of the value, when it is shown inline

    @property
    def pixel_data(self) -> bool:
        return self.path == PIXEL_PATH


def _vr(element: Element) -> str | None:
    """The element's VR when it is binary, else None."""
    vr = element.vr or dictionary_vr(element.tag) or "UN"
    if " " in vr:  # the dictionary's "OB or OW" (Pixel Data, LUT data): implicit VR stores OW
        vr = "OW"
    return vr if vr in BINARY_VRS else None


def locate(source: Source, threshold: int, index: FrameIndex | None = None) -> list[BulkElement]:
    """Every binary attribute of the file, in file order; [] when the walker cannot read the file.
    `index` (the recorded frame index) lets the walk jump over encapsulated Pixel Data."""
    try:
        walker = Walker(source)
        return list(_walk(walker, threshold, index))
    except Part10Error:
        return []


def _walk(walker: Walker, threshold: int, index: FrameIndex | None) -> Iterator[BulkElement]:
    pixels: Element | None = None
    for element in walker.top_level(stop_at_pixels=True):
        if element.tag == PIXEL_DATA:
            pixels = element
        yield from _element(walker, element, threshold, [])
    if pixels is None:
        return
    # The elements after the top-level Pixel Data, if any (trailing padding, digital signatures).
    if pixels.length != UNDEFINED:
        after = pixels.value + pixels.length
    elif index is not None and index.pixels_offset == pixels.value:
        after = index.pixels_offset + index.pixels_length
    else:
        after = walker.skip_fragments(pixels.value)
    for element in walker.top_level(after):
        yield from _element(walker, element, threshold, [])


def _element(
    walker: Walker, element: Element, threshold: int, path: list[list[int]]
) -> Iterator[BulkElement]:
    """The bulk element of `element`, or those nested in it when it is a sequence; `path` holds the
    open sequences, [tag, current item number] each (empty at the top level)."""
    if walker.is_sequence(element):
        if path:
            path.append([element.tag, -1])
            return
        path = [[element.tag, -1]]
        for nested in walker.sequence_contents(element):
            if nested.tag == ITEM:
                path[-1][1] += 1
            elif nested.tag == SEQUENCE_END:
                path.pop()
            elif nested.tag >> 16 != 0xFFFE:
                yield from _element(walker, nested, threshold, path)
        return
    prefix = "".join(f"{sequence:08X}.{item}." for sequence, item in path)
    found = _bulk(walker.bytes_at, element, prefix, threshold)
    if found is not None:
        yield found


def _bulk(
    bytes_at: Callable[[int, int], bytes], element: Element, prefix: str, threshold: int
) -> BulkElement | None:
    """The bulk element of a binary `element` in the data set at `prefix`; None when it is not binary or
    is encapsulated inside a sequence."""
    vr = _vr(element)
    if vr is None:
        return None
    tag = element.tag
    name = prefix + f"{tag:08X}"
    top_pixels = not prefix and tag == PIXEL_DATA
    if element.length == UNDEFINED:  # encapsulated pixel data; left out when nested
        return BulkElement(name, vr, element.value, UNDEFINED) if top_pixels else None
    if top_pixels or element.length > threshold:
        return BulkElement(name, vr, element.value, element.length)
    value = bytes_at(element.value, element.length) if element.length else b""
    return BulkElement(name, vr, element.value, element.length, base64.b64encode(value).decode())


def record(read: Read, threshold: int) -> bytes:
    """The bulk elements of a file read by `part10_json.read`, in their stored form: what `locate` finds,
    found by the walk that read it, for `threshold`."""
    found = (_bulk(read.walker.bytes_at, element, prefix, threshold) for element, prefix in read.binary)
    elements = [[e.path, e.vr, e.offset, e.length, e.inline] for e in found if e is not None]
    return orjson.dumps({"threshold": threshold, "elements": elements})


def recorded(data: bytes, threshold: int) -> list[BulkElement] | None:
    """The bulk elements `record` stored; None when they were recorded for another threshold."""
    stored = orjson.loads(data)
    if stored["threshold"] != threshold:
        return None
    return [BulkElement(*element) for element in stored["elements"]]


def json_attribute(element: BulkElement, uri: str) -> dict[str, Any]:
    """The DICOM JSON of the attribute: InlineBinary when small, else a BulkDataURI; an empty value has
    neither."""
    if element.length == 0:
        return {"vr": element.vr}
    if element.inline is not None:
        return {"vr": element.vr, "InlineBinary": element.inline}
    return {"vr": element.vr, "BulkDataURI": uri}


def merge(dataset: dict[str, Any], elements: list[BulkElement], base_uri: str) -> dict[str, Any]:
    """`dataset` (the stored DICOM JSON of the instance) with its binary attributes put back where they
    belong, each data set in tag order; one whose sequence item is not in the stored JSON is left out."""
    touched: dict[int, dict[str, Any]] = {}
    for element in elements:
        steps = element.path.split(".")
        target: Any = dataset
        for position in range(0, len(steps) - 1, 2):
            items = (target.get(steps[position]) or {}).get("Value") or []
            number = int(steps[position + 1])
            target = items[number] if number < len(items) and isinstance(items[number], dict) else None
            if target is None:
                break
        if target is not None:
            target[steps[-1]] = json_attribute(element, f"{base_uri}/{element.path}")
            touched[id(target)] = target
    for target in touched.values():
        ordered = sorted(target.items())
        target.clear()
        target.update(ordered)
    return dataset
