"""The controller's database: the only place that speaks SQL.

``Store`` owns the engine and gives the rest of the controller a handful of
async operations, each one transaction. SQLite (WAL) and PostgreSQL behave
the same; the tests run every operation on both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from controller.intake import Batch
from controller.store.bulk import SiteDiff, apply_findings, write_diffs
from controller.store.dialect import is_sqlite, upsert_replacing
from controller.store.engine import migrate, open_engine
from controller.store.judged import JudgedSite, read_judged, write_judged
from controller.store.lifecycle import LifecycleStore, after_findings
from controller.store.queries import (
    FindingEventRow,
    FindingFilter,
    QuarantineRow,
    finding_history,
    list_findings,
    list_quarantine,
)
from controller.store.settled import (
    SettledSite,
    SiteStamp,
    bump_stamps,
    read_settled,
    read_stamps,
    touch_findings,
    write_settled,
)
from controller.store.sites import (
    FindingChange,
    FindingRow,
    KnownObservation,
    SiteRecord,
    load_sites,
)
from controller.store.statistics import analyze_stale
from controller.store.tables import policies, quarantine
from controller.store.writes import BatchEffects, write_batch
from schemas.errors import StoreError
from schemas.findings import Finding
from schemas.policy import Policy

__all__ = [
    "BatchEffects",
    "FindingChange",
    "FindingEventRow",
    "FindingFilter",
    "FindingRow",
    "JudgedSite",
    "KnownObservation",
    "QuarantineRow",
    "SettledSite",
    "SiteDiff",
    "SiteRecord",
    "SiteStamp",
    "SiteVerdict",
    "Store",
]


SiteVerdict = tuple[SiteRecord, tuple[Finding, ...], SiteDiff]
"""One site's stored state, its reconcile verdict and the diff between them."""


class Store(LifecycleStore):
    """``await Store.open(url)``; ``await store.close()`` at the end.
    Every method raises StoreError when the database refuses."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    async def open(cls, url: str, *, migrate_schema: bool = True) -> Store:
        """Open ``url``, migrate its schema unless told not to, and analyze
        tables without fresh statistics (PostgreSQL; see ``refresh_statistics``)."""
        engine = open_engine(url)
        store = cls(engine)
        try:
            if migrate_schema:
                async with store._errors("migrate the schema"):
                    await migrate(engine)
            await store.refresh_statistics()
        except BaseException:
            await engine.dispose()  # no connection (nor SQLite's thread) outlives a failed open
            raise
        return store

    async def close(self) -> None:
        await self.engine.dispose()

    async def refresh_statistics(self) -> list[str]:
        """Analyze the tables whose planner statistics are missing or stale
        (PostgreSQL only, see ``store.statistics``); the tables analyzed.
        On SQLite nothing, not even a transaction: it runs after every batch."""
        if is_sqlite(self.engine):
            return []
        async with self._transaction("analyze tables without fresh statistics") as connection:
            return await analyze_stale(connection)

    @asynccontextmanager
    async def _errors(self, doing: str) -> AsyncIterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise StoreError(
                f"{self.engine.url.render_as_string()}: cannot {doing}: {exc}"
            ) from exc

    @asynccontextmanager
    async def _transaction(self, doing: str) -> AsyncIterator[AsyncConnection]:
        async with self._errors(doing), self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def _reading(self, doing: str) -> AsyncIterator[AsyncConnection]:
        async with self._errors(doing), self.engine.connect() as connection:
            yield connection

    async def save_policies(self, loaded: Sequence[Policy], now: datetime) -> None:
        """Record the policies in force (the newest load of each id wins)."""
        async with self._transaction("save policies") as connection:
            await connection.execute(
                upsert_replacing(connection, policies, "policy_id"),
                [
                    {
                        "policy_id": p.policy_id,
                        "version": p.version,
                        "body": p.model_dump_json(),
                        "loaded_at": now,
                    }
                    for p in loaded
                ],
            )

    async def write_batch(self, batch: Batch, now: datetime) -> BatchEffects:
        """Write one ingest batch in one transaction (committed on return)."""
        async with self._transaction("write an ingest batch") as connection:
            return await write_batch(connection, batch, now)

    async def load_sites(
        self, site_ids: list[str], known: KnownObservation | None = None
    ) -> dict[str, SiteRecord]:
        """``controller.store.sites.load_sites`` in one read transaction."""
        async with self._reading("read sites") as connection:
            return await load_sites(connection, site_ids, known)

    async def read_judged(
        self, site_ids: Sequence[str], keys: dict[str, str]
    ) -> dict[str, JudgedSite]:
        """The stored memos of ``site_ids`` under their ``keys``
        (``controller.store.judged``)."""
        async with self._reading("read judged observations") as connection:
            return await read_judged(connection, site_ids, keys)

    async def write_judged(self, sites: Sequence[JudgedSite], now: datetime) -> None:
        async with self._transaction(f"store judged observations of {len(sites)} site(s)") as c:
            await write_judged(c, sites, now)

    async def read_stamps(self, site_ids: Sequence[str]) -> dict[str, SiteStamp]:
        """The stamps of ``site_ids`` (``controller.store.settled``)."""
        async with self._reading("read site stamps") as connection:
            return await read_stamps(connection, site_ids)

    async def read_settled(
        self, site_ids: Sequence[str], keys: dict[str, str]
    ) -> dict[str, SettledSite]:
        """The stored settled verdicts of ``site_ids`` under their ``keys``."""
        async with self._reading("read settled verdicts") as connection:
            return await read_settled(connection, site_ids, keys)

    async def settle(
        self, sites: Sequence[SettledSite], touched: Sequence[str], now: datetime
    ) -> None:
        """Store the settled verdicts ``sites`` and mark the live findings of
        the sites left alone (``touched``) seen at ``now``, in one transaction."""
        async with self._transaction(
            f"store {len(sites)} settled verdict(s), touch {len(touched)} site(s)"
        ) as connection:
            await write_settled(connection, sites, now)
            await touch_findings(connection, touched, now)

    async def apply_findings(
        self, record: SiteRecord, verdict: tuple[Finding, ...], now: datetime
    ) -> list[FindingChange]:
        """One site's verdict, written from outside a reconcile pass (tools,
        tests): it moves the site's stamp, so that a reconciler that settled
        the site judges it again rather than trust findings it did not write."""
        async with self._transaction(f"store findings of site {record.site_id}") as connection:
            changes = await apply_findings(connection, record, verdict, now)
            await bump_stamps(connection, [record.site_id], {})
            return await after_findings(connection, record, verdict, changes, now, self.lifecycle)

    async def apply_verdicts(
        self, verdicts: Sequence[SiteVerdict], now: datetime
    ) -> dict[str, list[FindingChange]]:
        """Store many sites' verdicts in one transaction (bulk statements,
        then the lifecycle bookkeeping per site): all of them or, on error,
        none. Returns each site's changes, escalations included."""
        if not verdicts:
            return {}
        doing = f"store findings of {len(verdicts)} site(s) from {verdicts[0][0].site_id}"
        async with self._transaction(doing) as connection:
            changes = await write_diffs(connection, [diff for _, _, diff in verdicts], now)
            return {
                record.site_id: await after_findings(
                    connection, record, verdict, changes[record.site_id], now, self.lifecycle
                )
                for record, verdict, _ in verdicts
            }

    async def list_findings(
        self, where: FindingFilter, offset: int, limit: int
    ) -> tuple[list[FindingRow], int]:
        async with self._reading("list findings") as connection:
            return await list_findings(connection, where, offset, limit)

    async def finding_history(self, finding_id: int) -> list[FindingEventRow]:
        async with self._reading("read a finding's history") as connection:
            return await finding_history(connection, finding_id)

    async def quarantine(self, limit: int = 1000) -> list[QuarantineRow]:
        async with self._reading("read the quarantine") as connection:
            return await list_quarantine(connection, limit)

    async def quarantine_count(self) -> int:
        async with self._reading("count the quarantine") as connection:
            return int(await connection.scalar(select(func.count()).select_from(quarantine)) or 0)

    async def count(self, table_name: str) -> int:
        """Rows in one of the controller's tables (for checks and tests)."""
        from controller.store.tables import metadata

        table = metadata.tables[table_name]
        async with self._reading(f"count {table_name}") as connection:
            return int(await connection.scalar(select(func.count()).select_from(table)) or 0)
