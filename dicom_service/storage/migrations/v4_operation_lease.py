"""Schema version 4: an operation's owner (the worker's token) and heartbeat, for leases."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

_COLUMNS = {"owner": "VARCHAR(64)", "heartbeat": "VARCHAR(32)"}


def apply(connection: Connection, _created: str) -> None:
    present = {column["name"] for column in inspect(connection).get_columns("operation")}
    for name, kind in _COLUMNS.items():
        if name not in present:
            connection.execute(text(f"ALTER TABLE operation ADD COLUMN {name} {kind}"))
