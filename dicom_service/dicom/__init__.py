"""DICOM domain logic of the service: parsing, codecs and rendering, apart from HTTP and storage."""
