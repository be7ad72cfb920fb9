"""Model → the view of one version's DICOM conformance statement.

The outline follows the service's own statements and DICOM PS3.2 Annex K. `page` assembles the view of one
version from its parts: the transactions and their route tables (`transactions`), each operation
(`operations`), the parameters and statuses described once for all operations (`shared`), the DICOM sections
of `x-dicom` (`dicom_sections`), the service's limits (`limits`), the security section (`security`) and the
statement-wide prose (`statement`). Spec text stays unescaped here; the template escapes it.
"""
