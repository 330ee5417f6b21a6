"""Heartbeats: "these cameras are still as last reported, seen now".

A heartbeat moves a stored observation's ``observed_at`` forward and
nothing else, and only when the stored observation is the one the agent
means: same site and address, same fingerprint (``facts_hash``). Anything
else (no observation at all, e.g. after the database was wiped, or a
different fingerprint, e.g. a full report still on its way) is counted as
a *gap* and left alone: the controller cannot ask an agent for a report, so
it keeps what it knows, lets staleness speak if it lasts, and the agent's
next full snapshot (``full_snapshot_interval_s``) fills the gap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.store.devices import observations_at
from controller.store.dialect import upsert
from controller.store.tables import ingested_reports, observations
from schemas.messages import CameraHeartbeat

log = logging.getLogger(__name__)


@dataclass(slots=True)
class HeartbeatEffects:
    applied: int = 0
    """Cameras whose observation was confirmed and moved forward."""
    gaps: list[tuple[str, str]] = field(default_factory=list)
    """(site, address) heartbeats that matched no stored observation."""
    duplicates: int = 0
    fresh: list[CameraHeartbeat] = field(default_factory=list)
    seen: dict[str, datetime] = field(default_factory=dict)
    """Per site confirmed, the newest time an observation was moved to."""


async def apply_heartbeats(
    connection: AsyncConnection, heartbeats: list[CameraHeartbeat]
) -> HeartbeatEffects:
    """Apply ``heartbeats`` on ``connection`` (the caller owns the
    transaction); a heartbeat id seen before changes nothing."""
    effects = HeartbeatEffects()
    if not heartbeats:
        return effects
    rows = {
        h.report_id: {
            "report_id": h.report_id,
            "kind": h.kind,
            "site_id": h.site_id,
            "received_at": h.observed_at,
        }
        for h in heartbeats
    }
    statement = (
        upsert(connection, ingested_reports)
        .on_conflict_do_nothing(index_elements=["report_id"])
        .returning(ingested_reports.c.report_id)
    )
    claimed = set((await connection.execute(statement, list(rows.values()))).scalars().all())
    effects.fresh = [h for h in heartbeats if h.report_id in claimed]
    effects.duplicates = len(heartbeats) - len(effects.fresh)
    wanted: dict[tuple[str, str], tuple[str, datetime]] = {}
    for beat in effects.fresh:
        for entry in beat.cameras:
            key = (beat.site_id, entry.address)
            if key not in wanted or beat.observed_at > wanted[key][1]:
                wanted[key] = (entry.facts_hash, beat.observed_at)
    stored = await _stored_hashes(connection, list(wanted))
    updates = []
    for key, (facts_hash, seen) in wanted.items():
        if stored.get(key) != facts_hash:
            effects.gaps.append(key)
            continue
        updates.append({"b_site": key[0], "b_address": key[1], "b_seen": seen})
        if key[0] not in effects.seen or effects.seen[key[0]] < seen:
            effects.seen[key[0]] = seen
    if updates:
        await connection.execute(
            update(observations)
            .where(observations.c.site_id == bindparam("b_site"))
            .where(observations.c.address == bindparam("b_address"))
            .where(observations.c.observed_at < bindparam("b_seen"))
            .values(observed_at=bindparam("b_seen")),
            updates,
        )
    effects.applied = len(updates)
    if effects.gaps:
        log.info(
            "%d heartbeat(s) for camera(s) with no matching full observation (first: %s %s); "
            "the next full snapshot fills them",
            len(effects.gaps), *effects.gaps[0],
        )
    return effects


async def _stored_hashes(
    connection: AsyncConnection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    async for site_id, address, facts_hash in observations_at(
        connection, keys, observations.c.facts_hash
    ):
        found[(site_id, address)] = facts_hash
    return found
