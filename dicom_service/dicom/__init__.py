"""The DICOM service's domain: storage, parsing, matching, rendering; no HTTP here."""
