"""The one switch between SQLite and PostgreSQL (``is_sqlite``) and their
INSERT with ON CONFLICT. Both dialects give the same ``on_conflict_do_nothing`` /
``on_conflict_do_update`` and ``excluded``, so callers write one statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


def is_sqlite(bound: AsyncConnection | AsyncEngine) -> bool:
    """True on SQLite, False on PostgreSQL; NotImplementedError otherwise."""
    name = bound.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"database {name!r} is not supported")
    return name == "sqlite"


def upsert(connection: AsyncConnection, table: Table) -> Any:
    """``INSERT INTO table`` with the dialect's ON CONFLICT clauses."""
    return sqlite.insert(table) if is_sqlite(connection) else postgresql.insert(table)
