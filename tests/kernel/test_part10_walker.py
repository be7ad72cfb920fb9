"""The Part 10 element walker, the DICOM JSON it reads and the frame index it finds, against pydicom."""

from __future__ import annotations

import io
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
