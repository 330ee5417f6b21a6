"""Planner statistics on PostgreSQL: the store analyzes its tables when they
have none or have changed a lot, and a reconcile batch's findings lookup
then uses the index instead of reading the whole table. On SQLite the same
call does nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text

from controller.store import Store
from controller.store.sites import FINDING_SELECT
from controller.store.statistics import STALE_FRACTION, STALE_ROWS, stale_tables
from controller.store.tables import findings

SITES = 50_000
FINDINGS = 155_000
"""What a 2,000,000-camera fleet held after its first pass (3 per site)."""

_FILL = text(
    """
    INSERT INTO findings (site_id, subject, rule, severity, state, summary,
                          evidence, first_seen, last_seen)
    SELECT 's' || (n % :sites), 'cam-' || n, 'audio.encoder-enabled', 'critical', 'open',
           'an audio encoder is configured in profile main', :evidence, now(), now()
    FROM generate_series(CAST(:first AS integer),
                         CAST(:first AS integer) + CAST(:rows AS integer) - 1) AS n
    """
)


async def _wait_for_stale(store: Store, table: str) -> None:
    """The statistics collector sees other connections' writes a little
    later (under a second here, at most ~10 s): wait until it does."""
    for _ in range(300):
        async with store.engine.connect() as connection:
            if table in await stale_tables(connection):
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{table} never showed as changed in pg_stat_user_tables")


async def _counted(store: Store, table: str, column: str) -> int:
    """One of ``pg_stat_user_tables``' counters (n_live_tup, n_mod_since_analyze)."""
    async with store.engine.connect() as connection:
        value = await connection.scalar(
            text(f"SELECT {column} FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}
        )
    return int(value or 0)


async def _plan_of_a_batch_lookup(store: Store) -> dict[str, Any]:
    """EXPLAIN of the findings query ``load_sites`` sends for 500 sites."""
    chunk = [f"s{n}" for n in range(500)]
    query = select(*FINDING_SELECT).where(findings.c.site_id.in_(chunk))
    async with store.engine.connect() as connection:
        sql = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        plan = await connection.scalar(text(f"EXPLAIN (FORMAT JSON) {sql}"))
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]  # type: ignore[no-any-return]


def _node_types(plan: dict[str, Any]) -> list[str]:
    return [plan["Node Type"], *(t for child in plan.get("Plans", []) for t in _node_types(child))]


async def test_findings_without_statistics_are_analyzed_and_looked_up_by_index(
    pg_url: str,
) -> None:
    store = await Store.open(pg_url)
    try:
        async with store.engine.begin() as connection:
            await connection.execute(
                _FILL,
                {"sites": SITES, "first": 1, "rows": FINDINGS,
                 "evidence": json.dumps({"x": "y" * 300})},
            )
        await _wait_for_stale(store, "findings")

        assert "findings" in await store.refresh_statistics()
        plan = await _plan_of_a_batch_lookup(store)
        assert any("Index" in node for node in _node_types(plan)), plan
        assert "Seq Scan" not in _node_types(plan)
        expected = 500 * FINDINGS // SITES
        assert expected / 2 < plan["Plan Rows"] < expected * 2, "estimated from statistics"
        assert await store.refresh_statistics() == [], "fresh statistics are left alone"
    finally:
        await store.close()


async def test_updates_keep_statistics_and_growth_by_half_makes_them_stale(pg_url: str) -> None:
    rows = 10_000
    store = await Store.open(pg_url)
    try:
        async with store.engine.begin() as connection:
            await connection.execute(
                _FILL, {"sites": 1000, "first": 1, "rows": rows, "evidence": "{}"}
            )
        await _wait_for_stale(store, "findings")
        assert "findings" in await store.refresh_statistics()

        async with store.engine.begin() as connection:  # what every pass does: last_seen
            await connection.execute(text("UPDATE findings SET last_seen = now()"))
        for _ in range(300):  # until the collector has counted the update
            if await _counted(store, "findings", "n_mod_since_analyze") >= rows:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the update was never counted")
        assert await store.refresh_statistics() == [], "updates in place move no estimate"

        grown = int(STALE_ROWS + STALE_FRACTION * rows) + 1
        async with store.engine.begin() as connection:
            await connection.execute(
                _FILL, {"sites": 1000, "first": rows + 1, "rows": grown, "evidence": "{}"}
            )
        for _ in range(300):
            if await _counted(store, "findings", "n_live_tup") >= rows + grown:
                break
            await asyncio.sleep(0.1)
        assert await store.refresh_statistics() == ["findings"]
    finally:
        await store.close()


async def test_sqlite_has_nothing_to_analyze(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'controller.db'}")
    at = datetime.now(UTC)
    try:
        async with store.engine.begin() as connection:
            await connection.execute(insert(findings), [
                {"site_id": f"s{n % 10}", "subject": f"cam-{n}", "rule": "audio.encoder-enabled",
                 "severity": "critical", "state": "open", "summary": "audio", "evidence": "{}",
                 "first_seen": at, "last_seen": at}
                for n in range(1000)
            ])
        checkouts: list[object] = []
        event.listen(store.engine.sync_engine, "checkout", lambda *args: checkouts.append(args))
        assert await store.refresh_statistics() == []
        assert checkouts == [], "not even a connection: it runs after every reconcile batch"
    finally:
        await store.close()
