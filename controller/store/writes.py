"""Writing one ingest batch in one transaction, with each engine's fast
path: multi-row INSERT ... ON CONFLICT (executemany), never row-by-row ORM.

Idempotent: a report id already stored changes nothing; an observation
older than the stored one never overwrites it; a cycle older than the
stored one is ignored. Agent births and deaths follow the session rules in
``_agent_event``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, case, update
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.intake import Batch, change_signature
from controller.store.agents import PolicyUse, record_policy_use
from controller.store.devices import observations_at
from controller.store.dialect import upsert, upsert_replacing
from controller.store.heartbeats import apply_heartbeats
from controller.store.report_rows import (
    ChangeRow,
    ClaimRow,
    DbTime,
    LatestRow,
    claim_report_ids,
    time_param,
    write_observations,
)
from controller.store.settled import bump_stamps
from controller.store.tables import (
    agents,
    cycles,
    observations,
    quarantine,
)
from schemas.messages import (
    AgentBirth,
    AgentDeath,
    CameraHeartbeat,
    CameraObservation,
    CycleReport,
)


@dataclass(slots=True)
class BatchEffects:
    """What a committed batch changed, for the reconcile scheduler."""

    new_reports: int = 0
    duplicates: int = 0
    quarantined: int = 0
    cycled_sites: set[str] = field(default_factory=set)
    agent_sites: set[str] = field(default_factory=set)
    heartbeat_cameras: int = 0
    """Cameras confirmed unchanged by a heartbeat."""
    heartbeat_gaps: int = 0
    """Heartbeat cameras with no matching full observation (controller/store/heartbeats.py)."""


async def write_batch(connection: AsyncConnection, batch: Batch, now: datetime) -> BatchEffects:
    """Write ``batch`` on ``connection`` (the caller owns the transaction).
    ``now`` is when the batch was received (a death carries no time)."""
    effects = BatchEffects(quarantined=len(batch.rejected))
    if batch.rejected:
        await connection.execute(
            quarantine.insert(),
            [
                {
                    "received_at": r.received_at,
                    "topic": r.topic,
                    "reason": r.reason,
                    "size": r.size,
                    "payload": r.payload,
                }
                for r in batch.rejected
            ],
        )
    when = time_param(connection)
    incoming = _incoming(batch, when)
    fresh = await _claim_report_ids(connection, incoming, batch, when, effects)
    reports = [r for r in incoming.values() if r.report_id in fresh]
    new_cycles = [c for c in batch.cycles if c.report_id in fresh]
    # Births and deaths first: a new agent's row must exist before its
    # reports in the same batch touch it, or it reads as silent.
    for event in batch.agent_events:
        await _agent_event(connection, event.message, now, retained=event.retained)
        effects.agent_sites.add(event.message.site_id)
    await _write_observations(connection, reports)
    await _write_cycles(connection, new_cycles)
    await _touch_agents(
        connection,
        [
            *((r.agent_id, r.observation.observed_at) for r in reports),
            *((c.agent_id, c.finished_at) for c in new_cycles),
        ],
    )
    beats = await apply_heartbeats(connection, batch.heartbeats)
    effects.new_reports += len(beats.fresh)
    effects.duplicates += beats.duplicates
    effects.heartbeat_cameras += beats.applied
    effects.heartbeat_gaps += len(beats.gaps)
    await _touch_agents(connection, [(h.agent_id, h.observed_at) for h in beats.fresh])
    await record_policy_use(connection, _policy_uses(reports, beats.fresh))
    effects.cycled_sites.update(c.site_id for c in new_cycles)
    await bump_stamps(
        connection,
        {r.site_id for r in reports} | effects.cycled_sites | effects.agent_sites,
        beats.seen,
    )
    return effects


class _Report(NamedTuple):
    """One camera report, single or an item of a batch: what the store
    reads of it (a batch's shared fields are not copied into a model)."""

    report_id: str
    agent_id: str
    site_id: str
    policy_id: str
    policy_version: str
    observation: CameraObservation
    stamp: DbTime
    """``observation.observed_at`` as the rows take it (``report_rows.time_param``)."""


def _incoming(batch: Batch, when: Callable[[datetime], DbTime]) -> dict[str, _Report]:
    """Every camera report of ``batch`` by report id (the first of a
    repeated id stands for it)."""
    out: dict[str, _Report] = {}
    for r in batch.reports:
        if r.report_id not in out:
            out[r.report_id] = _Report(
                r.report_id,
                r.agent_id,
                r.site_id,
                r.policy_id,
                r.policy_version,
                r.observation,
                when(r.observation.observed_at),
            )
    for b in batch.report_batches:
        shared = (b.agent_id, b.site_id, b.policy_id, b.policy_version)
        for item in b.reports:
            if item.report_id not in out:
                observation = item.observation
                out[item.report_id] = _Report(
                    item.report_id, *shared, observation, when(observation.observed_at)
                )
    return out


async def _claim_report_ids(
    connection: AsyncConnection,
    incoming: dict[str, _Report],
    batch: Batch,
    when: Callable[[datetime], DbTime],
    effects: BatchEffects,
) -> set[str]:
    """Insert every report id; the ones actually inserted are new."""
    rows: dict[str, ClaimRow] = {
        r.report_id: (r.report_id, "camera-report", r.site_id, r.stamp)
        for r in incoming.values()
    }
    for c in batch.cycles:
        rows.setdefault(c.report_id, (c.report_id, c.kind, c.site_id, when(c.finished_at)))
    fresh = await claim_report_ids(connection, list(rows.values()))
    sent = len(batch.reports) + sum(len(b.reports) for b in batch.report_batches)
    effects.new_reports = len(fresh)
    effects.duplicates = sent + len(batch.cycles) - len(fresh)
    return fresh


def _policy_uses(reports: list[_Report], heartbeats: list[CameraHeartbeat]) -> list[PolicyUse]:
    return [
        *(
            PolicyUse(
                r.agent_id, r.site_id, r.policy_id, r.policy_version, r.observation.observed_at
            )
            for r in reports
        ),
        *(
            PolicyUse(h.agent_id, h.site_id, h.policy_id, h.policy_version, h.observed_at)
            for h in heartbeats
        ),
    ]


async def _write_observations(connection: AsyncConnection, reports: list[_Report]) -> None:
    """Each device's newest report becomes its latest observation; every
    report whose facts differ from the one before it (stored or in this
    batch) adds a history row. A report older than the stored observation
    changes nothing: its history was already told."""
    if not reports:
        return
    by_key: dict[tuple[str, str], list[_Report]] = defaultdict(list)
    for report in reports:
        by_key[(report.site_id, report.observation.address)].append(report)
    stored = await _stored_signatures(connection, list(by_key))
    latest: list[LatestRow] = []
    changes: list[ChangeRow] = []
    for (site_id, address), group in by_key.items():
        if len(group) > 1:
            group.sort(key=lambda r: r.observation.observed_at)
        previous = stored.get((site_id, address))
        last_signature = previous[0] if previous else None
        newest: LatestRow | None = None
        for report in group:
            observation = report.observation
            observed_at = observation.observed_at
            if previous is not None and observed_at <= previous[1]:
                continue
            signature = change_signature(observation)
            body = observation.model_dump_json()
            if signature != last_signature:
                changes.append((site_id, address, report.report_id, report.stamp, body))
                last_signature = signature
            newest = (
                site_id,
                address,
                observation.camera_id,
                report.agent_id,
                report.report_id,
                report.stamp,
                observation.reachable,
                signature,
                body,
            )
        if newest is not None:
            latest.append(newest)
    await write_observations(connection, changes, latest)


async def _stored_signatures(
    connection: AsyncConnection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, datetime]]:
    found: dict[tuple[str, str], tuple[str, datetime]] = {}
    columns = (observations.c.facts_hash, observations.c.observed_at)
    async for site_id, address, signature, observed_at in observations_at(
        connection, keys, *columns
    ):
        found[(site_id, address)] = (signature, observed_at)
    return found


async def _write_cycles(connection: AsyncConnection, new_cycles: list[CycleReport]) -> None:
    newest: dict[str, CycleReport] = {}
    for cycle in new_cycles:
        known = newest.get(cycle.site_id)
        if known is None or cycle.finished_at > known.finished_at:
            newest[cycle.site_id] = cycle
    if not newest:
        return
    await connection.execute(
        upsert_replacing(connection, cycles, "site_id", newer="finished_at"),
        [
            {
                "site_id": c.site_id,
                "cycle_id": c.cycle_id,
                "agent_id": c.agent_id,
                "finished_at": c.finished_at,
                "addresses": _json_list(c.addresses),
            }
            for c in newest.values()
        ],
    )


def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))


async def _touch_agents(connection: AsyncConnection, seen_at: list[tuple[str, datetime]]) -> None:
    """An agent that reports is alive: move its last_seen forward to the
    newest of its (agent id, time) sightings."""
    seen: dict[str, datetime] = {}
    for agent_id, when in seen_at:
        if agent_id not in seen or when > seen[agent_id]:
            seen[agent_id] = when
    if not seen:
        return
    statement = (
        update(agents)
        .where(agents.c.agent_id == bindparam("b_agent"))
        .where(agents.c.last_seen < bindparam("b_seen"))
        .values(last_seen=bindparam("b_seen"))
    )
    await connection.execute(
        statement, [{"b_agent": agent, "b_seen": when} for agent, when in seen.items()]
    )


async def _agent_event(
    connection: AsyncConnection, event: AgentBirth | AgentDeath, now: datetime, *, retained: bool
) -> None:
    """Births and deaths, with the session rules that keep a stale message
    from undoing a newer truth:

    - a death marks the agent offline only if it names the current session
      (a will left by an older session never kills a newer one);
    - a birth of a new session (started later) replaces the old one and
      marks the agent online; a live birth of the current session (the agent
      reconnected) marks it online again; a *retained* birth of the current
      session is old news replayed by the broker and changes nothing, so an
      agent that died stays dead across a controller restart.
    """
    if isinstance(event, AgentDeath):
        statement = upsert(connection, agents).values(
            agent_id=event.agent_id,
            site_id=event.site_id,
            session_id=event.session_id,
            online=False,
            started_at=None,
            last_seen=now,
            interval_s=None,
            birth=None,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["agent_id"],
            set_={"online": False},
            where=agents.c.session_id == statement.excluded.session_id,
        )
        await connection.execute(statement)
        return
    statement = upsert(connection, agents).values(
        agent_id=event.agent_id,
        site_id=event.site_id,
        session_id=event.session_id,
        online=True,
        started_at=event.started_at,
        last_seen=event.started_at,
        interval_s=event.interval_s,
        birth=event.model_dump_json(),
    )
    excluded = statement.excluded
    newer_session = (agents.c.session_id != excluded.session_id) & (
        agents.c.started_at.is_(None) | (agents.c.started_at <= excluded.started_at)
    )
    condition = (
        newer_session if retained else newer_session | (agents.c.session_id == excluded.session_id)
    )
    statement = statement.on_conflict_do_update(
        index_elements=["agent_id"],
        set_={
            "site_id": excluded.site_id,
            "session_id": excluded.session_id,
            "online": True,
            "started_at": excluded.started_at,
            "last_seen": case(
                (agents.c.last_seen > excluded.last_seen, agents.c.last_seen),
                else_=excluded.last_seen,
            ),
            "interval_s": excluded.interval_s,
            "birth": excluded.birth,
        },
        where=condition,
    )
    await connection.execute(statement)
