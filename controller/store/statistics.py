"""Planner statistics on PostgreSQL: analyze the controller's tables when
they have none or when they have changed a lot since.

A reconcile batch reads the findings and observations of 500 sites at a
time by ``site_id``. PostgreSQL only picks the index for that when it knows
how many rows a site has; without statistics it guessed 56,227 findings for
500 sites (1,558 came back) and scanned all 155,000 of them, a second per
query, 100 queries per pass of a 2,000,000-camera fleet. Autovacuum keeps
statistics fresh where it runs, but only after a table changed by a tenth
and up to a minute later; where it is off, a table is never analyzed. So
the store looks for itself, at one cheap read of ``pg_stat_user_tables``
each time (at start-up and after each reconcile batch), and analyzes what is
stale: never analyzed, or grown or shrunk by half since. Several replicas
share the work through an advisory lock: the one that holds it analyzes,
the others go on.

SQLite's planner takes the index for these equality and IN lookups without
statistics, so there this does nothing.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.store.dialect import is_sqlite
from controller.store.tables import metadata

STALE_ROWS = 500
STALE_FRACTION = 0.5
"""A table is stale when it has never been analyzed, or when its rows
now differ from the count its statistics were taken at by more than
STALE_ROWS + STALE_FRACTION of that count (grown by half, or shrunk by
half and more). Rows updated in place do not count: a pass moves every
finding's ``last_seen``, which changes nothing a plan depends on, and
analyzing findings on those updates cost a tenth of a steady pass.
Autovacuum, where it runs, still analyzes on every kind of change."""

ANALYZE_LOCK = 0x63616D77_616E6C7A  # "camwanlz": one replica analyzes at a time
"""The advisory lock key (bigint) the replicas take around an analyze."""

_STALE = text(
    """
    SELECT s.relname FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
    WHERE s.schemaname = current_schema()
      AND s.relname = ANY(:names)
      AND s.n_live_tup > 0
      AND (
        c.reltuples < 0
        OR (s.last_analyze IS NULL AND s.last_autoanalyze IS NULL)
        OR abs(s.n_live_tup - c.reltuples) > :rows + :fraction * c.reltuples
      )
    ORDER BY s.relname
    """
)


async def stale_tables(connection: AsyncConnection) -> list[str]:
    """The controller's tables on PostgreSQL whose planner statistics are
    missing or stale (always empty on SQLite). The counts it reads lag the
    writes of other connections by up to a second or so."""
    if is_sqlite(connection):
        return []
    result = await connection.execute(
        _STALE,
        {"names": sorted(metadata.tables), "rows": STALE_ROWS, "fraction": STALE_FRACTION},
    )
    return [row[0] for row in result]


async def analyze_stale(connection: AsyncConnection) -> list[str]:
    """ANALYZE the stale tables, inside the caller's transaction, unless
    another replica is doing it now. Returns the tables analyzed."""
    stale = await stale_tables(connection)
    if not stale:
        return []
    locked = await connection.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ANALYZE_LOCK}
    )
    if not locked:
        return []
    quote = connection.dialect.identifier_preparer.quote
    await connection.execute(text("ANALYZE " + ", ".join(quote(name) for name in stale)))
    return stale
