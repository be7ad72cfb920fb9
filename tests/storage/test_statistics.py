"""Planner statistics: once gathered, a study search by PatientID or StudyDate reads its index instead of
walking every study in watermark order; they are gathered again only when the index has grown by a tenth.
Shown with the engine's own EXPLAIN of the statement the search runs, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, text

from dicom_service.search import repository
from dicom_service.search.query import Resource, parse
from dicom_service.storage import schema as t
from dicom_service.storage import statistics
from dicom_service.storage.database import Database
from dicom_service.storage.service import DicomService

PARTITION = "Microsoft.Default"
STUDIES = 3000


def _fill(index: Database, count: int, first: int = 0) -> None:
    """`count` study rows, each its own patient, on about 900 dates."""
    with index.write() as c:
        partition = c.execute(select(t.partition.c.id).where(t.partition.c.name == PARTITION)).scalar()
        if partition is None:
            partition = c.execute(
                insert(t.partition)
                .values(name=PARTITION, created="2026-01-01T00:00:00Z")
                .returning(t.partition.c.id)
            ).scalar_one()
        c.execute(
            insert(t.study),
            [
                {
                    "partition_id": partition,
                    "study_uid": f"1.2.826.0.1.3680043.10.{n}",
                    "patient_id": f"p{n:07d}",  # as stored: folded for case-insensitive matching
                    "patient_name": "PLANNER^TEST",
                    "study_date": f"20{n % 25:02d}{1 + n % 12:02d}{1 + n % 28:02d}",
                    "attributes": "{}",
                    "watermark": n + 1,
                }
                for n in range(first, first + count)
            ],
        )


def _plan(index: Database, **filters: str) -> str:
    query = parse(Resource.STUDIES, PARTITION, filters.items(), limit=100, offset=0, fuzzy=False)
    statement = repository.statement(query)
    sql = str(statement.compile(dialect=index.engine.dialect, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN QUERY PLAN " if index.engine.dialect.name == "sqlite" else "EXPLAIN "
    with index.read() as c:
        rows: list[Any] = list(c.execute(text(explain + sql)))
    return "\n".join(str(row[-1] if index.engine.dialect.name == "sqlite" else row[0]) for row in rows)


def test_filtered_searches_use_their_indexes_once_statistics_are_gathered(
    opened_service: DicomService,
) -> None:
    index = opened_service.index
    _fill(index, STUDIES)
    if index.engine.dialect.name == "sqlite":  # PostgreSQL's autovacuum may have analyzed already
        assert "ix_study_patient_id" not in _plan(index, PatientID="P0001234")
    assert statistics.refresh(index) is True
    assert "ix_study_patient_id" in _plan(index, PatientID="P0001234")
    assert "ix_study_date" in _plan(index, StudyDate="20120505")
    if index.engine.dialect.name == "sqlite":  # (PostgreSQL sorts 3,000 rows rather than walk an index)
        assert "ix_study_search" in _plan(index)  # no filter: newest first, by the watermark index
    found = repository.search(
        index, parse(Resource.STUDIES, PARTITION, [("PatientID", "P0001234")], 100, 0, False)
    )
    assert len(found) == 1


def test_statistics_are_gathered_again_only_once_the_index_grew_by_a_tenth(
    opened_service: DicomService,
) -> None:
    index = opened_service.index
    _fill(index, STUDIES)
    assert statistics.refresh(index) is True
    assert statistics.refresh(index) is False  # fresh
    _fill(index, STUDIES // 20, first=STUDIES)  # +5 %
    assert statistics.refresh(index) is False
    _fill(index, STUDIES // 5, first=STUDIES + STUDIES // 20)  # +25 % in all
    assert statistics.refresh(index) is True
