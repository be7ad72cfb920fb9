"""Schema version 2: the worklist's workitems and their search keys."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

_m = MetaData()
Table("partition", _m, Column("id", Integer, primary_key=True))  # referenced; created by version 1
_workitem = Table(
    "workitem",
    _m,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partition_id", ForeignKey("partition.id"), nullable=False),
    Column("uid", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("transaction_uid", String(64)),
    Column("attributes", Text, nullable=False),
    Column("created", String(32), nullable=False),
    Column("updated", String(32), nullable=False),
    UniqueConstraint("partition_id", "uid"),
)
_workitem_key = Table(
    "workitem_key",
    _m,
    Column("workitem_id", ForeignKey("workitem.id"), nullable=False),
    Column("path", String(32), nullable=False),
    Column("value", String(256), nullable=False),
)
Index("ix_workitem_key_value", _workitem_key.c.path, _workitem_key.c.value)
Index("ix_workitem_key_workitem", _workitem_key.c.workitem_id)


def apply(connection: Connection, _created: str) -> None:
    _m.create_all(connection, tables=[_workitem, _workitem_key])
