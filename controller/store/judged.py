"""The reconciler's judged observations per site (``tables.judged_sites``):
read for sites the reconciler holds nothing of, written for sites whose
memo changed. Plain bytes in and out; what it means is
``controller.reconcile.stored``'s and ``controller.judged``'s business."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
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
    connection: AsyncConnection, site_ids: Sequence[str], keys: dict[str, str]
) -> dict[str, JudgedSite]:
    """The stored memo of each of ``site_ids`` that has one under the key
    ``keys`` gives for it (a memo of another policy or code is not read)."""
    found: dict[str, JudgedSite] = {}
    for start in range(0, len(site_ids), _CHUNK):
        chunk = site_ids[start : start + _CHUNK]
        rows = await connection.execute(
            select(
                judged_sites.c.site_id,
                judged_sites.c.judge_key,
                judged_sites.c.entries,
                judged_sites.c.body,
            ).where(
                judged_sites.c.site_id.in_(chunk),
                # a handful of keys (one per policy): no body of another is read
                judged_sites.c.judge_key.in_({keys[s] for s in chunk if s in keys}),
            )
        )
        for row in rows:
            if keys.get(row.site_id) == row.judge_key:  # another site's policy's key
                found[row.site_id] = JudgedSite(*row)
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
