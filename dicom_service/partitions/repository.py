"""The data partitions in the index: created by the first store into them, listed oldest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dicom_service.storage import schema as t
from dicom_service.storage.database import Database


def partitions(db: Database) -> list[dict[str, Any]]:
    with db.read() as c:
        rows = c.execute(select(t.partition).order_by(t.partition.c.id)).all()
    return [{"partitionKey": r.id, "partitionName": r.name, "createdDate": r.created} for r in rows]
