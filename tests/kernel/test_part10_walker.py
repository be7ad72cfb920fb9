"""The Part 10 element walker, the DICOM JSON it reads and the frame index it finds, against pydicom."""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended, get_frame
from pydicom.uid import UID, ExplicitVRLittleEndian, JPEG2000Lossless, generate_uid

from dicom_service.kernel import frame_index, part10, part10_json
from dicom_service.kernel.json_writer import to_json

FILES = sorted(Path(get_testdata_file("CT_small.dcm")).parent.glob("*.dcm"))
TRUNCATED = {"MR_truncated.dcm", "rtplan_truncated.dcm"}


def _pydicom(data: bytes) -> pydicom.FileDataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(io.BytesIO(data))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_dicom_json_equals_pydicoms_or_the_file_is_left_to_it(path: Path) -> None:
    data = path.read_bytes()
    if path.name in TRUNCATED:
        with pytest.raises(part10.Truncated):
            part10_json.read(part10.BytesSource(data))
        return
    try:
        read = part10_json.read(part10.BytesSource(data))
    except part10.Unusual:
        return
    ds = _pydicom(data)
    assert (read.syntax, read.dataset) == (str(ds.file_meta.TransferSyntaxUID), to_json(ds))


def test_the_reader_reads_most_of_them() -> None:
    def readable(path: Path) -> bool:
        try:
            part10_json.read(part10.BytesSource(path.read_bytes()))
        except part10.Part10Error:
            return False
        return True

    assert sum(readable(p) for p in FILES) >= 50  # the common files never reach pydicom's slower parser


@pytest.mark.parametrize("cut", [140, 403, 5_003, 20_003, 39_003])
def test_a_file_cut_inside_an_element_is_truncated(cut: int) -> None:
    data = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    with pytest.raises(part10.Truncated):
        part10_json.read(part10.BytesSource(data[:cut]))


def _expected_frames(data: bytes) -> list[bytes]:
    """Every frame as pydicom finds it: a slice of native pixel data, or `get_frame` of encapsulated."""
    ds = _pydicom(data)
    count = int(ds.get("NumberOfFrames") or 1)
    if ds.file_meta.TransferSyntaxUID.is_encapsulated:
        eot = None
        if "ExtendedOffsetTable" in ds:
            eot = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
        return [
            get_frame(ds.PixelData, i, number_of_frames=count, extended_offsets=eot) for i in range(count)
        ]
    size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    return [ds.PixelData[i * size : (i + 1) * size] for i in range(count)]


WITH_FRAMES = [
    p for p in FILES if p.name not in TRUNCATED and b"\xe0\x7f\x10\x00" in p.read_bytes()[-(1 << 30) :]
]


@pytest.mark.parametrize("path", WITH_FRAMES, ids=[p.name for p in WITH_FRAMES])
def test_frames_by_offset_equal_pydicoms_frames(path: Path) -> None:
    data = path.read_bytes()
    try:
        index = frame_index.locate(part10.Walker(part10.BytesSource(data)))
    except part10.Part10Error:
        return  # left to pydicom
    if index is None:
        return
    ds = _pydicom(data)
    if ds.get("BitsAllocated") == 1 or ds.get("PhotometricInterpretation") == "YBR_FULL_422":
        return  # pydicom has no byte slice of these; the built files below cover them
    try:
        expected = _expected_frames(data)
    except ValueError:
        return  # pydicom cannot find them either
    source = part10.BytesSource(data)
    assert [index.read(source.read_at, i) for i in range(index.frames)] == expected
    assert frame_index.FrameIndex.decode(index.encode()) == index


class CountingSource(part10.FileSource):
    """A file source that counts the bytes read."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.read_bytes = 0

    def read_at(self, offset: int, length: int) -> bytes:
        data = super().read_at(offset, length)
        self.read_bytes += len(data)
        return data


def _write(tmp_path: Path, syntax: UID, pixels: bytes, frames: int, **attributes: object) -> Path:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.7")
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = UID("1.2.840.10008.5.1.4.1.1.7")
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 64, 48, 1
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = frames
    ds.ReferencedImageSequence = [Dataset()]  # a sequence before the pixel data, walked past
    ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID = generate_uid()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    ds.PixelData = pixels
    if syntax != ExplicitVRLittleEndian:
        ds["PixelData"].VR = "OB"
    path = tmp_path / "built.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def _code_streams(count: int) -> list[bytes]:
    """Fake JPEG 2000 code streams of different even sizes (no padding), each ending with its end marker."""
    return [b"\xff\x4f" + bytes([i % 251]) * (1000 + 38 * i) + b"\xff\xd9" for i in range(count)]


def _check_ranged(path: Path, expected: list[bytes]) -> None:
    with CountingSource(path) as source:
        index = frame_index.locate(part10.Walker(source))
        assert index is not None and index.frames == len(expected)
    for i, frame in enumerate(expected):
        with CountingSource(path) as source:
            assert index.read(source.read_at, i) == frame
            # one ranged read: the frame and at most its item headers, never the rest of the pixel data
            assert source.read_bytes <= len(frame) + 8 * 4


def test_native_frames_are_read_by_offset(tmp_path: Path) -> None:
    frames = [np.full((64, 48), i, dtype="<u2").tobytes() for i in range(20)]
    _check_ranged(_write(tmp_path, ExplicitVRLittleEndian, b"".join(frames), 20), frames)


def test_bit_packed_frames_that_do_not_start_on_a_byte(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2, size=(5, 7, 9), dtype=np.uint8)  # 63 bits per frame
    packed = np.packbits(bits.ravel(), bitorder="little").tobytes()
    path = _write(
        tmp_path,
        ExplicitVRLittleEndian,
        packed,
        5,
        Rows=7,
        Columns=9,
        BitsAllocated=1,
        BitsStored=1,
        HighBit=0,
    )
    expected = [np.packbits(bits[i].ravel(), bitorder="little").tobytes() for i in range(5)]
    with part10.FileSource(path) as source:
        index = frame_index.locate(part10.Walker(source))
        assert index is not None
        assert [index.read(source.read_at, i) for i in range(5)] == expected


@pytest.mark.parametrize("with_table", [True, False], ids=["basic-offset-table", "no-table"])
def test_encapsulated_frames_one_fragment_each(tmp_path: Path, with_table: bool) -> None:
    frames = _code_streams(12)
    path = _write(tmp_path, JPEG2000Lossless, encapsulate(frames, has_bot=with_table), 12)
    _check_ranged(path, frames)


@pytest.mark.parametrize("with_table", [True, False], ids=["basic-offset-table", "end-markers"])
def test_encapsulated_frames_of_several_fragments(tmp_path: Path, with_table: bool) -> None:
    frames = _code_streams(6)
    path = _write(
        tmp_path, JPEG2000Lossless, encapsulate(frames, fragments_per_frame=3, has_bot=with_table), 6
    )
    _check_ranged(path, frames)


def test_encapsulated_frames_by_the_extended_offset_table(tmp_path: Path) -> None:
    frames = _code_streams(9)
    pixels, offsets, lengths = encapsulate_extended(frames)
    path = _write(
        tmp_path, JPEG2000Lossless, pixels, 9, ExtendedOffsetTable=offsets, ExtendedOffsetTableLengths=lengths
    )
    _check_ranged(path, frames)


def test_a_single_frame_of_several_fragments(tmp_path: Path) -> None:
    frames = _code_streams(1)
    path = _write(tmp_path, JPEG2000Lossless, encapsulate(frames, fragments_per_frame=4, has_bot=False), 1)
    _check_ranged(path, frames)


def test_walking_a_large_file_reads_only_its_header(tmp_path: Path) -> None:
    frames = [bytes([i]) * (64 * 48 * 2) for i in range(200)]
    path = _write(tmp_path, ExplicitVRLittleEndian, b"".join(frames), 200)
    with CountingSource(path) as source:
        read = part10_json.read(source)
        assert frame_index.of_read(read) == frame_index.locate(part10.Walker(part10.FileSource(path)))
        assert "7FE00010" not in read.dataset
        assert source.read_bytes < 2 * (64 << 10)  # the window over the header, not 1.2 MB of pixels


def test_sequences_nested_too_deep_are_refused(tmp_path: Path) -> None:
    ds = Dataset()
    inner = ds
    for _ in range(part10.MAX_DEPTH + 2):
        item = Dataset()
        inner.ReferencedImageSequence = [item]
        inner = item
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.7")
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    path = tmp_path / "deep.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(part10.TooDeep):
        part10_json.read(part10.FileSource(path))


def _explicit(tag: int, vr: bytes, value: bytes, length: int | None = None) -> bytes:
    size = len(value) if length is None else length
    head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
        return head + struct.pack("<HL", 0, size) + value
    return head + struct.pack("<H", size) + value


def _item(content: bytes, defined: bool) -> bytes:
    if defined:
        return struct.pack("<HHL", 0xFFFE, 0xE000, len(content)) + content
    return (
        struct.pack("<HHL", 0xFFFE, 0xE000, part10.UNDEFINED)
        + content
        + struct.pack("<HHL", 0xFFFE, 0xE00D, 0)
    )


def _sequence(tag: int, items: bytes, defined: bool) -> bytes:
    if defined:
        return _explicit(tag, b"SQ", items)
    return _explicit(tag, b"SQ", items + struct.pack("<HHL", 0xFFFE, 0xE0DD, 0), part10.UNDEFINED)


def test_the_top_level_iterator_passes_over_nested_sequences(tmp_path: Path) -> None:
    # Nested items hold a decoy Rows and a decoy Pixel Data; the sequences mix undefined and defined
    # lengths; a Pixel Data follows a sequence, trailing padding follows it.
    decoys = _explicit(0x00280010, b"US", struct.pack("<H", 99)) + _explicit(0x7FE00010, b"OW", bytes(4))
    inner = _sequence(0x00400555, _item(decoys, defined=True), defined=True)
    outer = _item(_explicit(0x00081150, b"UI", b"1.2\0") + inner, defined=False)
    data_set = b"".join(
        [
            _explicit(0x00080016, b"UI", b"1.2\0"),
            _sequence(0x00081110, outer, defined=False),
            _explicit(0x00280010, b"US", struct.pack("<H", 2)),  # 2 × 4 pixels of 16 bits: 16 bytes
            _explicit(0x00280011, b"US", struct.pack("<H", 4)),
            _explicit(0x00280100, b"US", struct.pack("<H", 16)),
            _sequence(0x00400275, _item(decoys, defined=False) + _item(decoys, defined=True), defined=True),
            _explicit(0x7FE00010, b"OW", bytes(16)),
            _explicit(0xFFFCFFFC, b"OB", bytes(6)),
        ]
    )
    meta = _explicit(0x00020010, b"UI", part10.EXPLICIT_LE.encode() + b"\0")
    walker = part10.Walker(part10.BytesSource(bytes(128) + b"DICM" + meta + data_set))

    tags = [element.tag for element in walker.top_level()]
    assert tags == [
        0x00080016,
        0x00081110,
        0x00280010,
        0x00280011,
        0x00280100,
        0x00400275,
        0x7FE00010,
        0xFFFCFFFC,
    ]
    assert [element.tag for element in walker.top_level(stop_at_pixels=True)] == tags[:-1]
    pixels = walker.pixel_data()
    assert pixels is not None and pixels.length == 16
    assert walker.bytes_at(pixels.value - 12, 4) == b"\xe0\x7f\x10\x00"  # the top-level one, not a decoy
    assert [element.tag for element in walker.top_level(pixels.value + pixels.length)] == [0xFFFCFFFC]
    sequence = next(e for e in walker.top_level() if e.tag == 0x00081110)
    nested = [element.tag for element in walker.sequence_contents(sequence)]
    assert nested == [
        *(part10.ITEM, 0x00081150, 0x00400555),
        *(part10.ITEM, 0x00280010, 0x7FE00010, part10.ITEM_END, part10.SEQUENCE_END),
        *(part10.ITEM_END, part10.SEQUENCE_END),
    ]
    found = frame_index.locate(walker)
    assert found is not None and (found.pixels_offset, found.pixels_length) == (pixels.value, 16)
    assert found.frame_bits == 2 * 4 * 16  # the top-level Rows, not the nested decoy


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_top_level_elements_are_pydicoms(path: Path) -> None:
    data = path.read_bytes()
    try:
        tags = [element.tag for element in part10.Walker(part10.BytesSource(data)).top_level()]
    except part10.Part10Error:
        return  # left to pydicom (or truncated): the other tests hold that
    assert tags == [int(element.tag) for element in _pydicom(data)]
