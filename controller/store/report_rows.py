"""The three rows of every camera report, on each engine's fastest path.

Ingest writes, per camera report, a claimed report id (``ingested_reports``),
a history row when the facts changed (``observation_changes``) and the
latest observation (``observations``). Through SQLAlchemy Core each row
costs its parameter processing in Python (about a third of ingest's time at
10,000 reports/s); here the rows are plain tuples already in the driver's
terms (times converted once per report by ``time_param``) and go to
the driver in one call per table and batch, through ``exec_driver_sql`` so
that they stay in the caller's transaction:

- SQLite: ``executemany`` (the claim, which needs RETURNING, as multi-row
  VALUES in chunks under the bound-parameter limit);
- PostgreSQL: ``INSERT ... SELECT FROM unnest(arrays)``, a single round
  trip whatever the batch size: one for the claim, one for the history
  rows and latest observations together (``_OBSERVATIONS_PG``).

The statements must say what the Core definitions in ``store.tables`` and
``store.writes`` say; the store tests run them on both engines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from controller.store.dialect import is_sqlite
from controller.store.types import naive_time, sqlite_time

DbTime = datetime | str
"""A time as ``time_param`` gives it: what the driver takes for the column."""
ClaimRow = tuple[str, str, str, DbTime]
"""report_id, kind, site_id, received_at."""
ChangeRow = tuple[str, str, str, DbTime, str]
"""site_id, address, report_id, observed_at, body (JSON text)."""
LatestRow = tuple[str, str, str | None, str, str, DbTime, bool, str, str]
"""site_id, address, camera_id, agent_id, report_id, observed_at, reachable,
facts_hash, body (JSON text); at most one row per (site_id, address)."""

_SQLITE_CLAIM_CHUNK = 2000
"""Rows per multi-row VALUES (4 parameters each, under SQLite's 32,766)."""

_CLAIM_SQLITE = (
    "INSERT INTO ingested_reports (report_id, kind, site_id, received_at) VALUES {values} "
    "ON CONFLICT (report_id) DO NOTHING RETURNING report_id"
)
_CLAIM_PG = (
    "INSERT INTO ingested_reports (report_id, kind, site_id, received_at) "
    "SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::timestamptz[]) "
    "ON CONFLICT (report_id) DO NOTHING RETURNING report_id"
)
_CHANGES_SQLITE = (
    "INSERT INTO observation_changes (site_id, address, report_id, observed_at, body) "
    "VALUES (?, ?, ?, ?, ?)"
)
_LATEST_SET = (
    "ON CONFLICT (site_id, address) DO UPDATE SET camera_id = excluded.camera_id, "
    "agent_id = excluded.agent_id, report_id = excluded.report_id, "
    "observed_at = excluded.observed_at, reachable = excluded.reachable, "
    "facts_hash = excluded.facts_hash, body = excluded.body "
    "WHERE observations.observed_at < excluded.observed_at"
)
_LATEST_COLUMNS = (
    "site_id, address, camera_id, agent_id, report_id, observed_at, reachable, facts_hash, body"
)
_LATEST_SQLITE = (
    f"INSERT INTO observations ({_LATEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    f"{_LATEST_SET}"
)
_OBSERVATIONS_PG = (
    "WITH t AS MATERIALIZED (SELECT s, a, c, ag, r, o, re, h, b::jsonb AS b, ch, la FROM unnest("
    "$1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], "
    "$6::timestamptz[], $7::boolean[], $8::varchar[], $9::text[], $10::boolean[], $11::boolean[]"
    ") AS u(s, a, c, ag, r, o, re, h, b, ch, la)), "
    "history AS (INSERT INTO observation_changes (site_id, address, report_id, observed_at, body) "
    "SELECT s, a, r, o, b FROM t WHERE ch) "
    f"INSERT INTO observations ({_LATEST_COLUMNS}) "
    "SELECT s, a, c, ag, r, o, re, h, b FROM t WHERE la "
    f"{_LATEST_SET}"
)
"""History rows and latest observations in one PostgreSQL statement: a
report that is both (the usual case) travels once and its body is parsed
into JSONB once; ``ch`` and ``la`` say which it is."""


def aware_time(value: datetime) -> DbTime:
    if value.tzinfo is None:
        raise naive_time(value)
    return value


def time_param(connection: AsyncConnection) -> Callable[[datetime], DbTime]:
    """How to pass an aware datetime in this module's rows: SQLite's stored
    text (``store.types.sqlite_time``), PostgreSQL's timestamptz as is."""
    return sqlite_time if is_sqlite(connection) else aware_time


def _columns(rows: Sequence[Sequence[Any]]) -> tuple[list[Any], ...]:
    return tuple(list(column) for column in zip(*rows, strict=True))


async def claim_report_ids(connection: AsyncConnection, rows: Sequence[ClaimRow]) -> set[str]:
    """Insert each row's report id unless already stored; the ids actually
    inserted (new reports). Report ids must be unique within ``rows``."""
    if not rows:
        return set()
    fresh: set[str] = set()
    if not is_sqlite(connection):
        result = await connection.exec_driver_sql(_CLAIM_PG, _columns(rows))
        fresh.update(result.scalars())
        return fresh
    for start in range(0, len(rows), _SQLITE_CLAIM_CHUNK):
        chunk = rows[start : start + _SQLITE_CLAIM_CHUNK]
        values = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
        flat = tuple(
            value
            for report_id, kind, site_id, received_at in chunk
            for value in (report_id, kind, site_id, received_at)
        )
        result = await connection.exec_driver_sql(_CLAIM_SQLITE.format(values=values), flat)
        fresh.update(result.scalars())
    return fresh


async def write_observations(
    connection: AsyncConnection, changes: Sequence[ChangeRow], latest: Sequence[LatestRow]
) -> None:
    """Append the history rows ``changes`` and upsert the ``latest``
    observations (a stored one as new or newer is kept). Report ids must be
    unique within each of the two. SQLite: one ``executemany`` per table."""
    if is_sqlite(connection):
        if changes:
            await connection.exec_driver_sql(_CHANGES_SQLITE, list(changes))
        if latest:
            await connection.exec_driver_sql(_LATEST_SQLITE, list(latest))
        return
    rows: dict[str, list[Any]] = {}
    for site_id, address, report_id, observed_at, body in changes:
        rows[report_id] = [
            site_id, address, None, None, report_id, observed_at, None, None, body, True, False,
        ]
    for site_id, address, camera_id, agent_id, report_id, at, reachable, facts_hash, body in latest:
        row = rows.get(report_id)
        if row is None:
            rows[report_id] = [
                site_id, address, camera_id, agent_id, report_id, at, reachable,
                facts_hash, body, False, True,
            ]
        else:  # the report is the latest observation too
            row[2], row[3], row[6], row[7] = camera_id, agent_id, reachable, facts_hash
            row[10] = True
    if rows:
        await connection.exec_driver_sql(_OBSERVATIONS_PG, _columns(list(rows.values())))
