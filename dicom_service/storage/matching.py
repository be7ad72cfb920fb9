"""How a QIDO-RS filter matches, as SQL: exact, a date range, person-name word prefixes; on a column of
the filter's level, on any series of the study (ModalitiesInStudy), or on an extended query tag's values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_, select

from dicom_service.kernel.tags import Level, Match
from dicom_service.search.query import Filter
from dicom_service.storage import schema as t
from dicom_service.storage.operations_schema import extended_tag_value


def condition(item: Filter) -> Any:
    if item.extended_tag is not None:
        return _extended(item)
    if item.tag == "00080061":  # ModalitiesInStudy: any series of the study
        se = t.series.alias("any_series")  # not the outer query's series row, when it has one
        return exists(select(se.c.id).where(se.c.study_id == t.study.c.id, se.c.modality.in_(item.values)))
    table = {Level.STUDY: t.study, Level.SERIES: t.series, Level.INSTANCE: t.instance}[item.level]
    return match(table.c[item.column], item)


def _extended(item: Filter) -> Any:
    """The row of the filter's level has a matching indexed value of the tag."""
    v = extended_tag_value
    owner = {Level.STUDY: (v.c.study_id, t.study.c.id), Level.SERIES: (v.c.series_id, t.series.c.id)}
    column, row_id = owner.get(item.level, (v.c.instance_id, t.instance.c.id))
    return exists(
        select(v.c.id).where(v.c.tag_id == item.extended_tag, column == row_id, match(v.c.value, item))
    )


def match(column: Any, item: Filter) -> Any:
    """How `column` matches the filter's values: exact, a date range, or person-name word prefixes."""
    if item.match is Match.DATE and (item.low or item.high):
        bounds = []
        if item.low:
            bounds.append(column >= item.low)
        if item.high:
            bounds.append(column <= item.high)
        return and_(*bounds)
    if item.words:
        return and_(
            *(
                or_(
                    column.like(_escape(word) + "%", escape="\\"),
                    column.like("% " + _escape(word) + "%", escape="\\"),
                )
                for word in item.words
            )
        )
    if len(item.values) == 1:
        return column == item.values[0]
    return column.in_(item.values)


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
