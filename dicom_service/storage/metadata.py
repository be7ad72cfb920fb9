"""The index database's shared `MetaData` and column types: what every table definition imports."""

from __future__ import annotations

from sqlalchemy import MetaData, String

metadata = MetaData()

UID = String(64)
VALUE = String(256)
