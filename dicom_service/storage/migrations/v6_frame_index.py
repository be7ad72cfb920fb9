"""Schema version 6: where Pixel Data and each frame lie in an instance's file (kernel.frame_index).

Instances stored before it have none: their frames are found by walking the file's header when asked.
"""

from __future__ import annotations

from sqlalchemy import Connection, LargeBinary, inspect, text


def apply(connection: Connection, _created: str) -> None:
    if "frame_index" not in {column["name"] for column in inspect(connection).get_columns("instance")}:
        kind = LargeBinary().compile(dialect=connection.dialect)
        connection.execute(text(f"ALTER TABLE instance ADD COLUMN frame_index {kind}"))
