"""The index's statements that run on every store or retrieve, built once: only their parameters change.

- the store path's separate statements (every engine), and `instances`, a retrieve's read.
- PostgreSQL's store writes combined into two statements, so that an instance costs fewer round trips to
  the database: each round trip is a wait of the whole store, on a busy machine 0.3 ms or more.
- `levels_upsert`: the study row then the series row (insert, or replace their indexed values), one
  statement whose data-modifying CTE upserts the study first, so its row lock is taken before the series'
  as in the separate statements and in a delete.
- `commit_tail`: the change-feed entry, the instance row and the study and series watermarks, one
  statement run right after the change-feed lock. The sequence number is drawn once (`nextval`) and used
  as both the entry's sequence and the watermark, which the separate statements set by a second UPDATE.

SQLite has no data-modifying CTEs, and its round trips are calls, but each statement still costs its
execution through SQLAlchemy: `NUMBERED_CHANGE` inserts the change-feed entry with its sequence number
drawn in the statement (the next rowid, as SQLite would choose it) and used as its watermark too, so the
study, series and instance rows are written with their watermark at once, in three fewer statements.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Table, bindparam, func, insert, literal, null, select, update
from sqlalchemy.dialects import postgresql

from dicom_service.storage import schema as t

# The store path's statements, built once: only their parameters change per instance.
PARTITION_ID = select(t.partition.c.id).where(t.partition.c.name == bindparam("b_name"))
INSTANCE_ID = select(t.instance.c.id).where(
    t.instance.c.partition_id == bindparam("b_pid"), t.instance.c.sop_uid == bindparam("b_sop")
)
INSERT_CHANGE = insert(t.change_feed)
SET_WATERMARK = update(t.change_feed).where(t.change_feed.c.sequence == bindparam("b_sequence"))
STUDY_ID = (  # for a delete: the study's row lock, taken first, orders it with concurrent stores
    select(t.study.c.id)
    .where(t.study.c.partition_id == bindparam("b_parent"), t.study.c.study_uid == bindparam("b_uid"))
    .with_for_update()
)
_NEXT_SEQUENCE = select(func.coalesce(func.max(t.change_feed.c.sequence), 0) + 1).scalar_subquery()
NUMBERED_CHANGE = (  # SQLite: under its one writer, so the number drawn is the rowid the entry gets
    insert(t.change_feed)
    .values(sequence=_NEXT_SEQUENCE, watermark=_NEXT_SEQUENCE)
    .returning(t.change_feed.c.sequence)
)
INSERT_INSTANCE = insert(t.instance)
NEW_INSTANCE = insert(t.instance).returning(t.instance.c.id)  # SQLite: its id, run without SQLAlchemy
STUDY_WATERMARK = update(t.study).where(t.study.c.id == bindparam("b_id"))
SERIES_WATERMARK = update(t.series).where(t.series.c.id == bindparam("b_id"))


@cache
def instances(
    by_series: bool, by_sop: bool, metadata: bool = True, frame_index: bool = False, bulk_data: bool = False
) -> Any:
    """The instances of a study, of one of its series, or one instance, in the order they were stored;
    their DICOM JSON and frame index only when asked for (empty and None otherwise): a retrieve sends
    neither. Built once: building and compiling a statement per read costs about 0.15 ms of a retrieve."""
    i, se, st, p = t.instance, t.series, t.study, t.partition
    query = (
        select(
            st.c.study_uid,
            se.c.series_uid,
            i.c.sop_uid,
            i.c.sop_class_uid,
            i.c.watermark,
            i.c.transfer_syntax,
            i.c.frames,
            i.c.blob_key,
            i.c.size,
            i.c.metadata if metadata else literal("").label("metadata"),
            i.c.frame_index if frame_index else null().label("frame_index"),
            i.c.bulk_data if bulk_data else null().label("bulk_data"),
        )
        # Which row the partition is joined to chooses the plan (whatever the statistics say): one instance
        # is found by its unique (partition, SOP UID); a study or series by the study's (partition, UID),
        # then its instances by ix_instance_study. With the partition joined to the instance, a study's
        # retrieve walked every instance of the partition: 4 ms more for 100 instances beside 1,600 others.
        .select_from(i.join(se, i.c.series_id == se.c.id).join(st, i.c.study_id == st.c.id))
        .join(p, (i.c.partition_id if by_sop else st.c.partition_id) == p.c.id)
        .where(p.c.name == bindparam("b_partition"), st.c.study_uid == bindparam("b_study"))
        .order_by(i.c.watermark)
    )
    if by_series:
        query = query.where(se.c.series_uid == bindparam("b_series"))
    if by_sop:
        query = query.where(i.c.sop_uid == bindparam("b_sop"))
    return query


def _param(table: Table, name: str, prefix: str) -> BindParameter[Any]:
    """Typed like its column: a parameter in an INSERT … SELECT list gets no type from the target."""
    return bindparam(f"{prefix}{name}", type_=table.c[name].type)


def _params(names: tuple[str, ...], prefix: str) -> dict[str, Any]:
    return {name: _param(t.study, name, prefix) for name in names}


def levels_upsert(study_columns: tuple[str, ...], series_columns: tuple[str, ...]) -> Any:
    """Parameters: `st_<column>` for the study's row, `se_<column>` for the series'.
    Returns (study id, series id)."""
    study_names = ("partition_id", "study_uid", *study_columns, "attributes", "watermark")
    study = postgresql.insert(t.study).values(_params(study_names, "st_"))
    study = study.on_conflict_do_update(
        index_elements=["partition_id", "study_uid"],
        set_={name: study.excluded[name] for name in (*study_columns, "attributes", "watermark")},
    )
    upserted = study.returning(t.study.c.id).cte("upserted_study")
    series_names = ("series_uid", *series_columns, "attributes", "watermark")
    values = select(upserted.c.id, *(_param(t.series, name, "se_") for name in series_names))
    series = postgresql.insert(t.series).from_select(["study_id", *series_names], values)
    series = series.on_conflict_do_update(
        index_elements=["study_id", "series_uid"],
        set_={name: series.excluded[name] for name in (*series_columns, "attributes", "watermark")},
    )
    return series.returning(t.series.c.study_id, t.series.c.id)


_CHANGE_NAMES = ("partition_id", "study_uid", "series_uid", "sop_uid", "action", "timestamp")
_INSTANCE_NAMES = (
    "partition_id",
    "study_id",
    "series_id",
    "sop_uid",
    "sop_class_uid",
    "transfer_syntax",
    "frames",
    "blob_key",
    "size",
    "metadata",
    "frame_index",
    "bulk_data",
)


def commit_tail() -> Any:
    """Parameters: `cf_<column>` for the change-feed entry, `i_<column>` for the instance row (its study
    and series ids also name the rows whose watermark is set); returns (watermark, instance id)."""
    sequence = func.pg_get_serial_sequence("change_feed", "sequence")
    drawn = select(func.nextval(sequence).label("w")).cte("drawn")
    change_values = select(drawn.c.w, *(_param(t.change_feed, n, "cf_") for n in _CHANGE_NAMES), drawn.c.w)
    change = (
        t.change_feed.insert()
        .from_select(["sequence", *_CHANGE_NAMES, "watermark"], change_values)
        .cte("change")
    )
    instance_values = select(*(_param(t.instance, n, "i_") for n in _INSTANCE_NAMES), drawn.c.w)
    instance = (
        t.instance.insert()
        .from_select([*_INSTANCE_NAMES, "watermark"], instance_values)
        .returning(t.instance.c.watermark, t.instance.c.id)
        .cte("instance_row")
    )
    watermark = select(drawn.c.w).scalar_subquery()
    study = (
        update(t.study)
        .where(t.study.c.id == bindparam("i_study_id"))
        .values(watermark=watermark)
        .cte("study_watermark")
    )
    series = (
        update(t.series)
        .where(t.series.c.id == bindparam("i_series_id"))
        .values(watermark=watermark)
        .cte("series_watermark")
    )
    return select(instance.c.watermark, instance.c.id).add_cte(change, study, series)
