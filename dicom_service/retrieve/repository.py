"""A retrieve's side of the index: the stored instances of a study, series or one instance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dicom_service.storage import statements
from dicom_service.storage.database import Database


@dataclass(slots=True)  # not frozen: a study's rows are made in bulk, and frozen fields cost 9× to set
class StoredInstance:
    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class_uid: str
    watermark: int
    transfer_syntax: str
    frames: int
    blob_key: str
    size: int
    metadata: str  # DICOM JSON text ("" when not asked for)
    frame_index: bytes | None = None  # kernel.frame_index, when asked for and recorded
    bulk_data: bytes | None = None  # kernel.bulk_data.record, when asked for and recorded


def instances(
    db: Database,
    partition: str,
    study_uid: str,
    series_uid: str | None = None,
    sop_uid: str | None = None,
    *,
    metadata: bool = True,
    frame_index: bool = False,
    bulk_data: bool = False,
) -> list[StoredInstance]:
    """The instances of a study, series or one instance, in the order they were stored; with their
    DICOM JSON unless `metadata` is false, with their frame index when `frame_index` is true and their
    bulk-data positions when `bulk_data` is true."""
    with db.read() as c:
        rows = c.execute(
            *select_instances(partition, study_uid, series_uid, sop_uid, metadata, frame_index, bulk_data)
        ).all()
    return [StoredInstance(*row) for row in rows]


def select_instances(
    partition: str,
    study_uid: str,
    series_uid: str | None,
    sop_uid: str | None,
    metadata: bool = True,
    frame_index: bool = False,
    bulk_data: bool = False,
) -> tuple[Any, dict[str, str]]:
    """The statement and its parameters; the statement is built once per level and columns."""
    params = {"b_partition": partition, "b_study": study_uid}
    if series_uid is not None:
        params["b_series"] = series_uid
    if sop_uid is not None:
        params["b_sop"] = sop_uid
    statement = statements.instances(
        series_uid is not None, sop_uid is not None, metadata, frame_index, bulk_data
    )
    return statement, params
