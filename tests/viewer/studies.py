"""The eight image kinds a viewer is tried on, each its own study, built from pydicom's bundled test files.

pydicom bundles every kind but the 8-frame MR (emri_small.dcm comes from the network-only pydicom-data): that
one is built here from MR_small's pixels, eight frames of one 64×64 slice shifted by a few pixels each.
Each file gets new study, series and SOP instance UIDs (JPEG-lossy.dcm and JPEG2000.dcm share theirs) and a
patient of its own, so the study list shows one row per kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's root, as generate_uid uses


@dataclass(frozen=True)
class ImageKind:
    key: str  # also the PatientID of its study
    source: str  # pydicom test file
    modality: str
    frames: int
    description: str


KINDS = (
    ImageKind("CT", "CT_small.dcm", "CT", 1, "CT, 16-bit, uncompressed"),
    ImageKind("MR", "MR_small.dcm", "MR", 1, "MR, 16-bit, uncompressed"),
    ImageKind("USJPEG", "examples_ybr_color.dcm", "US", 30, "US, 30 frames, JPEG baseline YBR_FULL_422"),
    ImageKind("MR8", "MR_small.dcm", "MR", 8, "MR, 8 frames, uncompressed (built from MR_small)"),
    ImageKind("NMJPEG12", "JPEG-lossy.dcm", "NM", 1, "NM, 12-bit JPEG extended (process 2 and 4)"),
    ImageKind("CTJ2K", "693_J2KI.dcm", "CT", 1, "CT, 14-bit JPEG 2000"),
    ImageKind("USJ2K", "examples_jpeg2k.dcm", "US", 1, "US, colour JPEG 2000 lossless (YBR_RCT)"),
    ImageKind("OTJPEG", "SC_rgb_jpeg_dcmtk.dcm", "OT", 1, "secondary capture, RGB JPEG baseline"),
)


def source_path(name: str) -> str:
    path = get_testdata_file(name)
    if path is None:
        raise FileNotFoundError(f"pydicom's test file {name} is not installed")
    return str(path)


def _multiframe(ds: Dataset, frames: int) -> None:
    """Eight frames from one slice, each shifted so a viewer's frame change is visible."""
    pixels = ds.pixel_array
    stack = np.stack([np.roll(pixels, 4 * i, axis=1) for i in range(frames)])
    ds.PixelData = stack.astype(pixels.dtype).tobytes()
    ds.NumberOfFrames = frames
    ds.FrameIncrementPointer = pydicom.tag.Tag("FrameTime")
    ds.FrameTime = 100
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian


def build(kind: ImageKind) -> Dataset:
    ds = pydicom.dcmread(source_path(kind.source))
    if kind.frames > 1 and int(ds.get("NumberOfFrames", 1)) != kind.frames:
        _multiframe(ds, kind.frames)
    ds.StudyInstanceUID = generate_uid(UID_ROOT, [kind.key, "study"])
    ds.SeriesInstanceUID = generate_uid(UID_ROOT, [kind.key, "series"])
    ds.SOPInstanceUID = generate_uid(UID_ROOT, [kind.key, "instance"])
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientID = kind.key
    ds.PatientName = f"Viewer^{kind.key}"
    ds.StudyDescription = kind.description
    ds.AccessionNumber = kind.key[:16]
    ds.Modality = kind.modality
    return ds


def write_all(folder: Path) -> dict[str, Path]:
    """Each kind as a Part 10 file under `folder`, by key."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind in KINDS:
        path = folder / f"{kind.key}.dcm"
        build(kind).save_as(path, enforce_file_format=True)
        paths[kind.key] = path
    return paths
