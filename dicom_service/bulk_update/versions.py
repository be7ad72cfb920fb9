"""Instance versions: a bulk update replaces an instance's file and metadata and keeps the original.

The original (as first stored) is kept once, however many updates follow; `as_original` gives WADO-RS the
original of every updated instance (`msdicom-request-original: true`). The instance keeps its watermark, so
it keeps its place in results; its change-feed `update` entry points at it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from dicom_service.kernel.instance import Instance
from dicom_service.kernel.tags import Level
from dicom_service.query_tags import repository as query_tags
from dicom_service.storage import dialect
from dicom_service.storage import schema as t
from dicom_service.storage.operations_schema import instance_original as original

if TYPE_CHECKING:
    from dicom_service.retrieve.repository import StoredInstance
    from dicom_service.storage.database import Database


def replace_instance(
    index: Database, watermark: int, blob_key: str, size: int, item: Instance, now: str
) -> str | None:
    """Make the updated file the instance's current version; returns the blob key no row needs any more
    (the previous updated version, or the new file when the instance was deleted meanwhile)."""
    i = t.instance
    with index.write() as c:
        row = c.execute(
            select(i, t.partition.c.name).join(t.partition).where(i.c.watermark == watermark)
        ).first()
        if row is None:
            return blob_key
        kept = c.execute(select(original.c.instance_id).where(original.c.instance_id == row.id)).first()
        obsolete = None
        if kept is None:
            c.execute(
                insert(original).values(
                    instance_id=row.id,
                    blob_key=row.blob_key,
                    size=row.size,
                    transfer_syntax=row.transfer_syntax,
                    metadata=row.metadata,
                )
            )
        else:
            obsolete = row.blob_key
        text = json.dumps(item.metadata, separators=(",", ":"))
        c.execute(
            update(i)
            .where(i.c.id == row.id)
            .values(
                blob_key=blob_key,
                size=size,
                metadata=text,
                frame_index=item.frame_index,
                bulk_data=item.bulk_data,
            )
        )
        study: dict[str, Any] = {column: item.columns.get(column) for column in t.STUDY_COLUMNS}
        study["attributes"] = json.dumps(item.level_attributes(Level.STUDY), separators=(",", ":"))
        c.execute(update(t.study).where(t.study.c.id == row.study_id).values(**study))
        if found := query_tags.tags_to_index(c):
            ids = query_tags.InstanceRow(
                row.id,
                row.study_id,
                row.series_id,
                row.name,
                item.study_uid,
                item.series_uid,
                item.sop_uid,
                "",
            )
            query_tags.index_instance(c, ids, item.metadata, found, now)
        dialect.lock_change_feed(c)  # the commit tail: sequences visible in commit order
        c.execute(
            insert(t.change_feed).values(
                partition_id=row.partition_id,
                study_uid=item.study_uid,
                series_uid=item.series_uid,
                sop_uid=item.sop_uid,
                action="update",
                timestamp=now,
                watermark=watermark,
            )
        )
    return obsolete


def as_original(index: Database, rows: list[StoredInstance]) -> list[StoredInstance]:
    """The rows with every updated instance's original file and metadata in place of the current ones."""
    i = t.instance
    query = (
        select(i.c.watermark, original)
        .join(original, original.c.instance_id == i.c.id)
        .where(i.c.watermark.in_([row.watermark for row in rows]))
    )
    with index.read() as c:
        kept = {r.watermark: r for r in c.execute(query)}
    return [
        dataclasses.replace(
            row,
            blob_key=kept[row.watermark].blob_key,
            size=kept[row.watermark].size,
            transfer_syntax=kept[row.watermark].transfer_syntax,
            metadata=kept[row.watermark].metadata if row.metadata else "",
            frame_index=None,  # not kept for originals: found by walking the file when asked
            bulk_data=None,
        )
        if row.watermark in kept
        else row
        for row in rows
    ]
