"""HTTP glue shared by the handlers: reading DICOMweb requests and writing DICOMweb answers."""
