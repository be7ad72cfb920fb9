"""The worklist's tables, on the index's shared `metadata`: one row per workitem, and its search keys.

A search key is an attribute path (`00100010`, `0040A370.00080050`) with a value in its comparison form;
a workitem has one key row per value, so a sequence attribute matches when any item has the value.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from dicom_service.storage.metadata import UID, VALUE, metadata

workitem = Table(
    "workitem",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # creation order: newest first in searches
    Column("partition_id", ForeignKey("partition.id"), nullable=False),
    Column("uid", UID, nullable=False),
    Column("state", String(16), nullable=False),
    Column("transaction_uid", UID),  # the owner's lock, set when the workitem is claimed
    Column("attributes", Text, nullable=False),  # DICOM JSON, without TransactionUID
    Column("created", String(32), nullable=False),
    Column("updated", String(32), nullable=False),
    UniqueConstraint("partition_id", "uid"),
)

workitem_key = Table(
    "workitem_key",
    metadata,
    Column("workitem_id", ForeignKey("workitem.id"), nullable=False),
    Column("path", String(32), nullable=False),
    Column("value", VALUE, nullable=False),
)

Index("ix_workitem_key_value", workitem_key.c.path, workitem_key.c.value)
Index("ix_workitem_key_workitem", workitem_key.c.workitem_id)
