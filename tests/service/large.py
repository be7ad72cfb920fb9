"""Large instances built on disk in constant memory, and the peak memory of a service process per request."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import requests
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless, generate_uid

T = TypeVar("T")
ROWS = COLUMNS = 512
FRAME_BYTES = ROWS * COLUMNS * 2  # 16-bit: 512 KiB a frame


@dataclass(frozen=True)
class Large:
    path: Path
    study: str
    series: str
    sop: str
    frames: int

    def frame(self, number: int) -> bytes:
        """The native pixel bytes of frame `number` (1-based), as `write` made them."""
        return _frame(number - 1)


def _frame(index: int) -> bytes:
    # A gradient shifted per frame: distinct frames whose rendering is not flat.
    row = (np.arange(COLUMNS, dtype="<u2") * 8 + index * 16) % 4096
    return np.tile(row, ROWS).astype("<u2").tobytes()


def write(
    path: Path, frames: int, encapsulated: bool = False, study: str | None = None, implicit: bool = False
) -> Large:
    """A multi-frame 512×512 16-bit instance of `frames` frames (512 KiB each, native) written frame by
    frame; `encapsulated` stores each frame as one fragment of a JPEG 2000 lossless syntax, without a Basic
    Offset Table (the frames are not real code streams: enough to find, not to decode); `implicit` writes
    it in Implicit VR Little Endian."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = (
        JPEG2000Lossless if encapsulated else ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    )
    ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.7.3")  # Multi-frame Grayscale Word SC
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study or generate_uid(), generate_uid()
    ds.PatientID, ds.PatientName, ds.Modality = "LARGE-1", "Large^Instance", "OT"
    ds.StudyDate, ds.AccessionNumber = "20260101", "L1"
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.NumberOfFrames = ROWS, COLUMNS, 1, frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    ds.save_as(path, enforce_file_format=True)
    with path.open("ab") as file:
        if encapsulated:
            file.write(struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
            file.write(struct.pack("<HHL", 0xFFFE, 0xE000, 0))  # an empty Basic Offset Table
            for index in range(frames):
                file.write(struct.pack("<HHL", 0xFFFE, 0xE000, FRAME_BYTES) + _frame(index))
            file.write(struct.pack("<HHL", 0xFFFE, 0xE0DD, 0))
        elif implicit:
            file.write(struct.pack("<HHL", 0x7FE0, 0x0010, FRAME_BYTES * frames))
            for index in range(frames):
                file.write(_frame(index))
        else:
            file.write(struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OW", 0, FRAME_BYTES * frames))
            for index in range(frames):
                file.write(_frame(index))
    return Large(path, ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID, frames)


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


@dataclass(frozen=True)
class Peak:
    before: int  # the process's resident memory before the request, in bytes
    peak: int  # its highest resident memory during the request

    @property
    def added(self) -> int:
        return self.peak - self.before

    def __str__(self) -> str:
        return f"peak {self.peak / 2**20:.0f} MiB (+{self.added / 2**20:.0f} MiB)"


def bytes_read(pid: int) -> int:
    """Bytes the process has read so far, from files and sockets alike (`rchar` of /proc/<pid>/io)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise LookupError("no rchar in /proc/<pid>/io")


def peak_during(pid: int, action: Callable[[], T]) -> tuple[T, Peak]:
    """`action()`'s result and the process's peak resident memory meanwhile; the peak is reset first
    (writing 5 to /proc/<pid>/clear_refs resets VmHWM to the current RSS)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = _status(pid)["VmRSS"]
    result = action()
    return result, Peak(before, _status(pid)["VmHWM"])


def study_digest(root: str, study: str) -> tuple[int, str]:
    """GET the study as stored (one part): the status and the SHA-256 of the part's body, read 1 MiB at a
    time, so the client holds no more than that."""
    accept = 'multipart/related; type="application/dicom"; transfer-syntax=*'
    answer = requests.get(f"{root}/v2/studies/{study}", headers={"Accept": accept}, stream=True, timeout=300)
    boundary = answer.headers["Content-Type"].split("boundary=")[1].strip('"').encode()
    trailer = b"\r\n--" + boundary + b"--\r\n"
    digest, started, held = hashlib.sha256(), False, b""
    for chunk in answer.iter_content(1 << 20):
        held += chunk
        if not started:
            if b"\r\n\r\n" not in held:
                continue
            held, started = held.split(b"\r\n\r\n", 1)[1], True
        digest.update(held[: -len(trailer)])
        held = held[-len(trailer) :]
    assert held == trailer
    return answer.status_code, digest.hexdigest()
