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


def upsert_replacing(
    connection: AsyncConnection, table: Table, key: str, newer: str | None = None
) -> Any:
    """``upsert`` whose conflict on ``key`` replaces every other column with
    the row offered; with ``newer``, only if the offered row's value of that
    column is greater than the stored one's (a later report wins)."""
    statement = upsert(connection, table)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[key],
        set_={c.name: excluded[c.name] for c in table.columns if c.name != key},
        where=table.c[newer] < excluded[newer] if newer is not None else None,
    )
