"""Tests of the DICOM service."""
