"""The retrieve's statement finds a study's instances from the study, and one instance by its SOP UID, on
SQLite with no planner statistics (a few large studies never trigger them): never by walking every
instance of the partition, which grew with the index (4 ms more for a 100-instance study beside 1,600
other instances). Shown with SQLite's own EXPLAIN QUERY PLAN of the statement a retrieve runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite

from dicom_service.storage import statements
from dicom_service.storage.database import Database

WALK_THE_PARTITION = "sqlite_autoindex_instance_1 (partition_id=?)"


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'index.sqlite'}", "2026-01-01T00:00:00Z")
    yield database
    database.close()


def plan(index: Database, by_series: bool, by_sop: bool) -> str:
    compiled = statements.instances(by_series, by_sop, metadata=False).compile(
        dialect=sqlite.dialect(paramstyle="named")
    )
    params = {
        **compiled.params,
        "b_partition": "p",
        "b_study": "1.2",
        "b_series": "1.2.3",
        "b_sop": "1.2.3.4",
    }
    with index.read() as c:
        rows = c.connection.driver_connection.execute("EXPLAIN QUERY PLAN " + str(compiled), params)
        return "\n".join(row[-1] for row in rows)


@pytest.mark.parametrize("by_series", [False, True], ids=["study", "series"])
def test_a_study_or_series_is_read_from_its_study_row(index: Database, by_series: bool) -> None:
    found = plan(index, by_series, by_sop=False)
    assert (
        "SEARCH study USING COVERING INDEX sqlite_autoindex_study_1 (partition_id=? AND study_uid=?)" in found
    )
    assert "SEARCH instance USING INDEX ix_instance_study (study_id=?)" in found
    assert WALK_THE_PARTITION not in found


def test_one_instance_is_read_by_its_sop_uid(index: Database) -> None:
    found = plan(index, by_series=True, by_sop=True)
    assert "SEARCH instance USING INDEX sqlite_autoindex_instance_1 (partition_id=? AND sop_uid=?)" in found
