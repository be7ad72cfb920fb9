"""Extended query tags in the index database: the tags, their indexed values and their indexing errors.

`index_instance` is the one place values are written, by a store (inside its transaction) and by the
reindex operation alike. A value that fails validation is recorded as an error of the tag and disables
querying on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, literal, select, update

from dicom_service.kernel.tags import Level
from dicom_service.operations import operation as ops
from dicom_service.operations import repository as records
from dicom_service.query_tags.rules import MAX_TAGS, Indexed, NewTag, StoredTag, TagError, indexed_value
from dicom_service.storage import prepared
from dicom_service.storage import schema as t
from dicom_service.storage.operations_schema import extended_query_tag as tag_table
from dicom_service.storage.operations_schema import extended_tag_error as error_table
from dicom_service.storage.operations_schema import extended_tag_value as value_table

if TYPE_CHECKING:
    from dicom_service.storage.database import Database


class Conflict(Exception):
    """The request conflicts with the tags or operations as they are (409)."""


@dataclass(frozen=True)
class InstanceRow:
    """An instance as the reindex reads it: its index ids, identity and stored metadata."""

    id: int
    study_id: int
    series_id: int
    partition: str
    study_uid: str
    series_uid: str
    sop_uid: str
    metadata: str


def add_tags(index: Database, new: list[NewTag], partition: str, now: str) -> str:
    """Add the tags as `adding` and start their reindex operation; returns its ID."""
    op_id = ops.new_id()
    with index.write() as c:
        taken = c.execute(
            select(tag_table.c.path).where(tag_table.c.path.in_([n.path for n in new]))
        ).scalars()
        existing = sorted(taken)
        if existing:
            raise Conflict(f"The extended query tag(s) '{', '.join(existing)}' have already been added.")
        running = records.active_of_type(c, ops.REINDEX)
        if running is not None:
            raise Conflict(f"There is already an active reindex operation with ID '{running}'.")
        count = c.execute(select(func.count()).select_from(tag_table)).scalar() or 0
        if count + len(new) > MAX_TAGS:
            raise TagError(
                f"There can be at most {MAX_TAGS} extended query tags; {count} exist, {len(new)} were given."
            )
        c.execute(
            insert(tag_table),
            [
                {
                    "path": n.path,
                    "vr": n.vr,
                    "private_creator": n.private_creator,
                    "level": n.level.value,
                    "status": "adding",
                    "query_status": "enabled",
                    "operation_id": op_id,
                    "error_count": 0,
                }
                for n in new
            ],
        )
        resources = [f"extendedquerytags/{n.path}" for n in new]
        records.insert_operation(
            c, op_id, ops.REINDEX, partition, {"tags": [n.path for n in new]}, resources, now
        )
    return op_id


def list_tags(index: Database, offset: int = 0, limit: int | None = None) -> list[StoredTag]:
    query = select(tag_table).order_by(tag_table.c.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with index.read() as c:
        return [_tag(row._mapping) for row in c.execute(query)]


def get_tag(index: Database, path: str) -> StoredTag | None:
    with index.read() as c:
        row = c.execute(select(tag_table).where(tag_table.c.path == path)).first()
    return _tag(row._mapping) if row is not None else None


def set_query_status(index: Database, path: str, status: str) -> StoredTag | None:
    with index.write() as c:
        c.execute(update(tag_table).where(tag_table.c.path == path).values(query_status=status))
    return get_tag(index, path)


def delete_tag(index: Database, path: str) -> bool:
    """Remove the tag with its values and errors."""
    with index.write() as c:
        return c.execute(delete(tag_table).where(tag_table.c.path == path)).rowcount > 0


def errors(index: Database, tag_id: int, offset: int, limit: int) -> list[dict[str, Any]]:
    e = error_table
    query = select(e).where(e.c.tag_id == tag_id).order_by(e.c.id).offset(offset).limit(limit)
    with index.read() as c:
        rows = c.execute(query).all()
    return [
        {
            "partitionName": r.partition,
            "studyInstanceUid": r.study_uid,
            "seriesInstanceUid": r.series_uid,
            "sopInstanceUid": r.sop_uid,
            "createdTime": r.created,
            "errorMessage": r.message,
        }
        for r in rows
    ]


# Built once: every store runs it, and an IN list bound per call costs more than the read itself.
_INDEXED_TAGS = select(tag_table).where(
    (tag_table.c.status == literal("adding")) | (tag_table.c.status == literal("ready"))
)

_INDEXED_TAG_COLUMNS = tuple(_INDEXED_TAGS.selected_columns.keys())


def tags_to_index(c: Connection, paths: Iterable[str] | None = None) -> list[StoredTag]:
    """The tags a new instance is indexed for (being added or ready), or the named ones."""
    if paths is None and c.dialect.name == "sqlite":  # every store asks: without SQLAlchemy's work per query
        rows = prepared.rows(c, _INDEXED_TAGS, {})
        return [_tag(dict(zip(_INDEXED_TAG_COLUMNS, row, strict=True))) for row in rows]
    query = _INDEXED_TAGS
    if paths is not None:
        query = query.where(tag_table.c.path.in_(list(paths)))
    return [_tag(row._mapping) for row in c.execute(query)]


def index_instance(
    c: Connection, item: InstanceRow, metadata: dict[str, Any], found: list[StoredTag], now: str
) -> None:
    """Index the instance's values of the tags `found`; record those that fail validation."""
    for tag in found:
        outcome = indexed_value(metadata, tag)
        owner_column, owner = _owner(tag.level, item)
        c.execute(delete(value_table).where(value_table.c.tag_id == tag.id, owner_column == owner))
        if isinstance(outcome, Indexed):
            c.execute(
                insert(value_table).values(
                    tag_id=tag.id,
                    **{owner_column.name: owner},
                    value=outcome.value,
                    element=json.dumps(outcome.element, separators=(",", ":")),
                )
            )
        elif isinstance(outcome, str):
            _record_error(c, tag, item, outcome, now)


def _record_error(c: Connection, tag: StoredTag, item: InstanceRow, message: str, now: str) -> None:
    e = error_table
    known = c.execute(select(e.c.id).where(e.c.tag_id == tag.id, e.c.instance_id == item.id)).first()
    if known is not None:  # a resumed reindex meets the same instance again
        return
    c.execute(
        insert(e).values(
            tag_id=tag.id,
            instance_id=item.id,
            partition=item.partition,
            study_uid=item.study_uid,
            series_uid=item.series_uid,
            sop_uid=item.sop_uid,
            created=now,
            message=message,
        )
    )
    c.execute(
        update(tag_table)
        .where(tag_table.c.id == tag.id)
        .values(error_count=tag_table.c.error_count + 1, query_status="disabled")
    )


def _owner(level: Level, item: InstanceRow) -> tuple[Any, int]:
    if level is Level.STUDY:
        return value_table.c.study_id, item.study_id
    if level is Level.SERIES:
        return value_table.c.series_id, item.series_id
    return value_table.c.instance_id, item.id


def count_instances(index: Database) -> int:
    with index.read() as c:
        return int(c.execute(select(func.count()).select_from(t.instance)).scalar() or 0)


def instances_after(index: Database, after_id: int, limit: int) -> list[InstanceRow]:
    """Stored instances in index order, from the one after `after_id`: what a reindex reads."""
    i, st, se, p = t.instance, t.study, t.series, t.partition
    query = (
        select(
            i.c.id,
            i.c.study_id,
            i.c.series_id,
            p.c.name,
            st.c.study_uid,
            se.c.series_uid,
            i.c.sop_uid,
            i.c.metadata,
        )
        .select_from(i.join(st, i.c.study_id == st.c.id).join(se, i.c.series_id == se.c.id))
        .join(p, i.c.partition_id == p.c.id)
        .where(i.c.id > after_id)
        .order_by(i.c.id)
        .limit(limit)
    )
    with index.read() as c:
        return [InstanceRow(*row) for row in c.execute(query)]


def reindex_batch(index: Database, rows: list[InstanceRow], paths: list[str], now: str) -> None:
    with index.write() as c:
        found = [tag for tag in tags_to_index(c, paths) if tag.status == "adding"]
        for row in rows:
            index_instance(c, row, json.loads(row.metadata), found, now)


def finish_reindex(index: Database, op_id: str) -> None:
    """The operation's tags become ready (querying stays disabled on those with errors)."""
    with index.write() as c:
        c.execute(
            update(tag_table)
            .where(tag_table.c.operation_id == op_id, tag_table.c.status == "adding")
            .values(status="ready", operation_id=None)
        )


def _tag(row: Mapping[Any, Any]) -> StoredTag:
    return StoredTag(
        id=row["id"],
        path=row["path"],
        vr=row["vr"],
        private_creator=row["private_creator"],
        level=Level(row["level"]),
        status=row["status"],
        query_status=row["query_status"],
        operation_id=row["operation_id"],
        error_count=row["error_count"],
    )


def level_elements(
    index: Database, tag_id: int, level: Level, row_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """Study or series id → the tag's indexed attribute (DICOM JSON), for the rows QIDO-RS returns."""
    v = value_table
    owner = v.c.study_id if level is Level.STUDY else v.c.series_id
    query = select(owner, v.c.element).where(v.c.tag_id == tag_id, owner.in_(row_ids))
    with index.read() as c:
        return {row_id: json.loads(element) for row_id, element in c.execute(query)}
