"""A decompression bomb: a JPEG 2000 instance of a few hundred bytes declaring one 8192 × 8192 frame (67
million pixels). The codestream is OpenJPEG's encoding of an all-zero image (pylibjpeg-openjpeg's
`encode`, compression ratio 2000), kept as hex because encoding it takes seconds."""

from __future__ import annotations

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import JPEG2000, generate_uid

from tests.service.data import part10

SIDE = 8192
CODESTREAM = bytes.fromhex(
    "ff4fff510029000000002000000020000000000000000000000020000000200000000000000000000001000101ff52000c00"
    "000001000504040000ff5c0023423f203ef03ef03ec03700370036e02f502f502f681805180518471fd31fd31f62ff640025"
    "000143726561746564206279204f70656e4a5045472076657273696f6e20322e352e32ff90000a0000000000d90001ff93f3"
    "f8c57e315fe315f8c57e315f8c57e315f8c57f8c57e315fe315f8c57e315f8c57e315f8c50115054afff7fe9895ff7115054"
    "afff7fe9895ff7115054afff7fe9895ff7115054afff7fe9895ff7115054afff7fe9895ff7115054afff7fe9895ff7115054"
    "afff7fe9895ff7115054afff7fe9895ff7115054afff7fe9895ff7115054afff7fe9895ff7115054afff7fe9895ff7115054"
    "afff7fe9895ff7115054afff7fe9895ff7115054afff7fe9895ff7115054afff7fe9895ff7115054afff7fe9895ff7808080"
    "8080ffd9"
)


def bomb() -> tuple[Dataset, bytes]:
    """(the data set, its Part 10 file)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = JPEG2000
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientID, ds.Modality = "BOMB", "OT"
    ds.Rows = ds.Columns = SIDE
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = encapsulate([CODESTREAM])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds, part10(ds)
