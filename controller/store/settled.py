"""Site stamps and settled verdicts (``tables.site_stamps``, ``settled_sites``).

The ingest moves a site's stamps in the transaction of its writes
(``bump_stamps``); the reconciler reads them before it reads a site, keeps
them with the verdict it stored, and next time leaves the site alone if
they are the same and its verdict still holds by the clock
(``controller.reconciler``). Plain rows in and out: what a settled verdict
means is the reconciler's business.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.store.dialect import upsert, upsert_replacing
from controller.store.judged import rows_under_keys
from controller.store.sites import AgentRow, agent_rows, site_agent
from controller.store.tables import findings, settled_sites, site_stamps

_CHUNK = 500


class SiteStamp(NamedTuple):
    facts: int
    seen: int
    seen_at: datetime | None
    agent: AgentRow | None = None
    """The site's agent as read with the stamps (``site_agent``): its last
    seen moves with every message, which the stamps leave out."""


NO_STAMP = SiteStamp(0, 0, None)
"""A site nothing was ever written for."""


class SettledSite(NamedTuple):
    site_id: str
    settled_key: str
    facts: int
    seen: int
    holds_until: datetime | None
    agent: str | None
    heartbeats_safe: bool
    cycle_at: datetime | None
    view: str
    view_at: datetime
    stale_at: datetime | None
    movable: bool


async def bump_stamps(
    connection: AsyncConnection, facts: Collection[str], seen: Mapping[str, datetime]
) -> None:
    """Move the stamps of the sites written for: ``facts`` (any write that
    can change a verdict) and ``seen`` (heartbeats, with the newest time
    they moved an observation to). One statement, sites in order (two
    transactions lock their rows in the same order: no deadlock here)."""
    sites = sorted(set(facts) | set(seen))
    if not sites:
        return
    statement = upsert(connection, site_stamps)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["site_id"],
        set_={
            "facts": site_stamps.c.facts + excluded.facts,
            "seen": site_stamps.c.seen + excluded.seen,
            "seen_at": case(
                (
                    site_stamps.c.seen_at.is_(None)
                    | (excluded.seen_at.is_not(None) & (site_stamps.c.seen_at < excluded.seen_at)),
                    excluded.seen_at,
                ),
                else_=site_stamps.c.seen_at,
            ),
        },
    )
    await connection.execute(
        statement,
        [
            {
                "site_id": s,
                "facts": 1 if s in facts else 0,
                "seen": 1 if s in seen else 0,
                "seen_at": seen.get(s),
            }
            for s in sites
        ],
    )


async def read_stamps(connection: AsyncConnection, site_ids: Sequence[str]) -> dict[str, SiteStamp]:
    """Every one of ``site_ids``' stamps (``NO_STAMP`` for a site without),
    each with the site's agent."""
    found = dict.fromkeys(site_ids, NO_STAMP)
    for start in range(0, len(site_ids), _CHUNK):
        chunk = site_ids[start : start + _CHUNK]
        rows = await connection.execute(
            select(
                site_stamps.c.site_id, site_stamps.c.facts, site_stamps.c.seen,
                site_stamps.c.seen_at,
            ).where(site_stamps.c.site_id.in_(chunk))
        )
        for site_id, facts, seen, seen_at in rows:
            found[site_id] = SiteStamp(facts, seen, seen_at)
        by_site: dict[str, list[AgentRow]] = {}
        for agent in await agent_rows(connection, chunk):
            by_site.setdefault(agent.site_id, []).append(agent)
        for site_id, rows_of_site in by_site.items():
            if site_id in found:
                found[site_id] = found[site_id]._replace(agent=site_agent(rows_of_site))
    return found


_SETTLED_COLUMNS = [settled_sites.c[name] for name in SettledSite._fields]


async def read_settled(
    connection: AsyncConnection, site_ids: Sequence[str], keys: Mapping[str, str]
) -> dict[str, SettledSite]:
    """The settled verdict of each of ``site_ids`` stored under the key
    ``keys`` gives for it (one of another policy, code or settings is not
    read)."""
    rows = await rows_under_keys(
        connection, settled_sites.c.settled_key, _SETTLED_COLUMNS, site_ids, keys
    )
    return {row[0]: SettledSite(*row) for row in rows}


async def write_settled(
    connection: AsyncConnection, sites: Sequence[SettledSite], now: datetime
) -> None:
    """Store each site's settled verdict, replacing the one held."""
    if not sites:
        return
    await connection.execute(
        upsert_replacing(connection, settled_sites, "site_id"),
        [{**s._asdict(), "written_at": now} for s in sites],
    )


async def touch_findings(
    connection: AsyncConnection, site_ids: Sequence[str], now: datetime
) -> None:
    """Mark the live findings of ``site_ids`` seen at ``now``, as a pass
    that judged them afresh would (``bulk.write_diffs``' touch)."""
    for start in range(0, len(site_ids), _CHUNK):
        await connection.execute(
            update(findings)
            .where(findings.c.site_id.in_(site_ids[start : start + _CHUNK]))
            .where(findings.c.state != "resolved")
            .values(last_seen=now)
        )
