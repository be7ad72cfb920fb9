"""A search's side of the index: the rows of the query's level, newest first, and their counts."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func, select

from dicom_service.kernel.tags import Level
from dicom_service.search.query import Query
from dicom_service.storage import matching
from dicom_service.storage import schema as t
from dicom_service.storage.database import Database


def search(db: Database, query: Query) -> list[dict[str, Any]]:
    """Rows of the resource's level: each a dict of attribute JSON texts and counts."""
    with db.read() as c:
        return [dict(row._mapping) for row in c.execute(statement(query))]


def statement(query: Query) -> Any:
    """The SELECT a search runs (tests read its plan)."""
    st, se, i, p = t.study, t.series, t.instance, t.partition
    level = query.resource.level
    if level is Level.STUDY:
        columns = [st.c.id.label("study_id"), st.c.attributes.label("study")]
        source: Any = st
        order = st.c.watermark
    elif level is Level.SERIES:
        columns = [
            st.c.id.label("study_id"),
            se.c.id.label("series_id"),
            st.c.attributes.label("study"),
            se.c.attributes.label("series"),
        ]
        source = se.join(st, se.c.study_id == st.c.id)
        order = se.c.watermark
    else:
        columns = [
            st.c.id.label("study_id"),
            se.c.id.label("series_id"),
            st.c.attributes.label("study"),
            se.c.attributes.label("series"),
            i.c.metadata.label("instance"),
        ]
        source = i.join(se, i.c.series_id == se.c.id).join(st, i.c.study_id == st.c.id)
        order = i.c.watermark
    selected = (
        select(*columns)
        .select_from(source.join(p, st.c.partition_id == p.c.id))
        .where(p.c.name == query.partition)
    )
    if query.study_uid is not None:
        selected = selected.where(st.c.study_uid == query.study_uid)
    if query.series_uid is not None:
        selected = selected.where(se.c.series_uid == query.series_uid)
    for item in query.filters:
        selected = selected.where(matching.condition(item))
    return selected.order_by(order.desc()).limit(query.limit).offset(query.offset)


def study_counts(db: Database, study_ids: list[int]) -> dict[int, tuple[int, int, list[str]]]:
    """study id → (series count, instance count, modalities)."""
    if not study_ids:
        return {}
    se, i = t.series, t.instance
    with db.read() as c:
        series_rows = c.execute(
            select(se.c.study_id, se.c.modality, se.c.attributes).where(se.c.study_id.in_(study_ids))
        ).all()
        instance_rows = c.execute(
            select(i.c.study_id, func.count()).where(i.c.study_id.in_(study_ids)).group_by(i.c.study_id)
        ).all()
    counts = {sid: n for sid, n in instance_rows}
    result: dict[int, tuple[int, int, list[str]]] = {}
    for sid in study_ids:
        rows = [r for r in series_rows if r.study_id == sid]
        modalities = sorted({_modality(r.attributes) for r in rows} - {""})
        result[sid] = (len(rows), counts.get(sid, 0), modalities)
    return result


def series_counts(db: Database, series_ids: list[int]) -> dict[int, int]:
    if not series_ids:
        return {}
    i = t.instance
    with db.read() as c:
        rows = c.execute(
            select(i.c.series_id, func.count()).where(i.c.series_id.in_(series_ids)).group_by(i.c.series_id)
        ).all()
    return {sid: n for sid, n in rows}


def _modality(attributes: str) -> str:
    value = orjson.loads(attributes).get("00080060", {}).get("Value") or [""]
    return str(value[0] or "")
