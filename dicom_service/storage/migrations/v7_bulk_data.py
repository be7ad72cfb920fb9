"""Schema version 7: where each bulk-data attribute lies in an instance's file (kernel.bulk_data), recorded
at store time so metadata with BulkDataURIs needs no read of the file.

Instances stored before it have none: their bulk-data attributes are found by walking the file when asked.
"""

from __future__ import annotations

from sqlalchemy import Connection, LargeBinary, inspect, text


def apply(connection: Connection, _created: str) -> None:
    if "bulk_data" not in {column["name"] for column in inspect(connection).get_columns("instance")}:
        kind = LargeBinary().compile(dialect=connection.dialect)
        connection.execute(text(f"ALTER TABLE instance ADD COLUMN bulk_data {kind}"))
