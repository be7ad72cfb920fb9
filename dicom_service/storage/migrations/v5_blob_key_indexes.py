"""Schema version 5: which instance or kept original holds a blob, for the orphan sweep."""

from __future__ import annotations

from sqlalchemy import Column, Connection, Index, MetaData, String, Table

_m = MetaData()
_instance = Table("instance", _m, Column("blob_key", String(80)))
_original = Table("instance_original", _m, Column("blob_key", String(80)))
_INDEXES = [
    Index("ix_instance_blob_key", _instance.c.blob_key),
    Index("ix_original_blob_key", _original.c.blob_key),
]


def apply(connection: Connection, _created: str) -> None:
    for index in _INDEXES:
        index.create(connection, checkfirst=True)
