"""The DICOM kernel: tags, values, DICOM JSON reading and writing, Part 10 reading; no HTTP and no SQL."""
