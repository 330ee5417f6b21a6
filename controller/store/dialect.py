"""The one switch between SQLite and PostgreSQL: their INSERT with
ON CONFLICT. Both dialects give the same ``on_conflict_do_nothing`` /
``on_conflict_do_update`` and ``excluded``, so callers write one statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def upsert(connection: AsyncConnection, table: Table) -> Any:
    """``INSERT INTO table`` with the dialect's ON CONFLICT clauses."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"database {connection.dialect.name!r} is not supported")
