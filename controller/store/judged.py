"""The reconciler's judged observations per site (``tables.judged_sites``):
read for sites the reconciler holds nothing of, written for sites whose
memo changed. Plain bytes in and out; what it means is
``controller.reconcile.stored``'s and ``controller.judged``'s business."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.store.dialect import upsert_replacing
from controller.store.tables import judged_sites

_CHUNK = 500


class JudgedSite(NamedTuple):
    site_id: str
    judge_key: str
    entries: int
    body: bytes


async def read_judged(
    connection: AsyncConnection, site_ids: Sequence[str], keys: Mapping[str, str]
) -> dict[str, JudgedSite]:
    """The stored memo of each of ``site_ids`` that has one under the key
    ``keys`` gives for it (a memo of another policy or code is not read)."""
    columns = [judged_sites.c[name] for name in JudgedSite._fields]
    rows = await rows_under_keys(connection, judged_sites.c.judge_key, columns, site_ids, keys)
    return {row[0]: JudgedSite(*row) for row in rows}


async def rows_under_keys(
    connection: AsyncConnection,
    key: Column[str],
    columns: Sequence[Column[Any]],
    site_ids: Sequence[str],
    keys: Mapping[str, str],
) -> list[tuple[Any, ...]]:
    """``columns`` (the site id first) of the rows of ``site_ids`` whose
    ``key`` column holds the key ``keys`` gives their site: one query per
    chunk, filtered by the chunk's handful of keys (one per policy), so no
    row of another key is read whole."""
    site = columns[0]
    position = [c.name for c in columns].index(key.name)
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(site_ids), _CHUNK):
        chunk = site_ids[start : start + _CHUNK]
        rows = await connection.execute(
            select(*columns).where(site.in_(chunk), key.in_({keys[s] for s in chunk if s in keys}))
        )
        # a row under another site's key (of the chunk's set) is not its own
        found += [tuple(row) for row in rows if keys.get(row[0]) == row[position]]
    return found


async def write_judged(
    connection: AsyncConnection, sites: Sequence[JudgedSite], now: datetime
) -> None:
    """Store each site's memo, replacing the one held (one statement)."""
    if not sites:
        return
    await connection.execute(
        upsert_replacing(connection, judged_sites, "site_id"),
        [
            {
                "site_id": s.site_id,
                "judge_key": s.judge_key,
                "entries": s.entries,
                "body": s.body,
                "written_at": now,
            }
            for s in sites
        ],
    )
