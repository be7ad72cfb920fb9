"""A delete's side of the index: instances removed with their emptied series and study rows, and
change-feed entries added under the change-feed lock, last."""

from __future__ import annotations

from sqlalchemy import delete as delete_rows
from sqlalchemy import exists, insert, select

from dicom_service.retrieve.repository import select_instances
from dicom_service.storage import dialect, statements
from dicom_service.storage import schema as t
from dicom_service.storage.database import Database
from dicom_service.storage.operations_schema import instance_original


def delete(
    db: Database, partition: str, study_uid: str, series_uid: str | None, sop_uid: str | None, now: str
) -> list[str]:
    """Remove the instances (and emptied series and study rows); returns their blob keys."""
    with db.write() as c:
        pid = db.partition_id(c, partition)
        if pid is None:
            return []
        study_id = c.execute(statements.STUDY_ID, {"b_parent": pid, "b_uid": study_uid}).scalar()
        if study_id is None:  # (the study's row lock, taken first, orders this after concurrent stores)
            return []
        rows = c.execute(*select_instances(partition, study_uid, series_uid, sop_uid)).all()
        if not rows:
            return []
        watermarks = [row.watermark for row in rows]
        originals = (  # the versions kept by bulk updates go with the instance
            select(instance_original.c.blob_key)
            .join(t.instance, t.instance.c.id == instance_original.c.instance_id)
            .where(t.instance.c.watermark.in_(watermarks))
        )
        kept = list(c.execute(originals).scalars())
        c.execute(delete_rows(t.instance).where(t.instance.c.watermark.in_(watermarks)))
        left = select(t.instance.c.id).where(t.instance.c.series_id == t.series.c.id)
        c.execute(delete_rows(t.series).where(t.series.c.study_id == study_id, ~exists(left)))
        left = select(t.series.c.id).where(t.series.c.study_id == t.study.c.id)
        c.execute(delete_rows(t.study).where(t.study.c.id == study_id, ~exists(left)))
        dialect.lock_change_feed(c)  # the commit tail: sequences visible in commit order
        c.execute(
            insert(t.change_feed),
            [
                {
                    "partition_id": pid,
                    "study_uid": row.study_uid,
                    "series_uid": row.series_uid,
                    "sop_uid": row.sop_uid,
                    "action": "delete",
                    "timestamp": now,
                    "watermark": row.watermark,
                }
                for row in rows
            ],
        )
    return [row.blob_key for row in rows] + kept
