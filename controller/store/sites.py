"""What reconcile reads about sites, and how its verdict is written back.

``load_sites`` reads everything reconcile needs for a set of sites in a few
bulk queries (four per 500 sites, whatever their size). Writing a verdict
back is ``controller.store.bulk``'s business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.store.tables import (
    agents,
    cycles,
    findings,
    observations,
)
from schemas.messages import CameraObservation

_SITE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent_id: str
    site_id: str
    session_id: str
    online: bool
    last_seen: datetime
    interval_s: float | None


@dataclass(frozen=True, slots=True)
class FindingRow:
    id: int
    site_id: str
    subject: str
    rule: str
    severity: str
    state: str
    summary: str
    evidence_json: str
    camera_id: str | None
    address: str | None
    agent_id: str | None
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    opened_at: datetime | None = None
    """When it last (re)opened; None: at ``first_seen``."""
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    note: str | None = None
    escalated_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.site_id, self.subject, self.rule)


@dataclass(slots=True)
class SiteRecord:
    """The stored truth about one site, as reconcile reads it."""

    site_id: str
    cameras: dict[str, CameraObservation] = field(default_factory=dict)
    last_full_cycle_at: datetime | None = None
    full_cycle_addresses: frozenset[str] = frozenset()
    agents: list[AgentRow] = field(default_factory=list)
    findings: list[FindingRow] = field(default_factory=list)
    """Live and resolved findings of the site."""

    def agent(self) -> AgentRow | None:
        """The site's agent: the online one seen last, else the one seen last."""
        if not self.agents:
            return None
        return max(self.agents, key=lambda a: (a.online, a.last_seen))


FindingEvent = Literal["opened", "resolved", "reopened", "escalated"]


@dataclass(frozen=True, slots=True)
class FindingChange:
    event: FindingEvent
    finding_id: int
    key: tuple[str, str, str]
    severity: str
    summary: str


def finding_row(row: object) -> FindingRow:
    return FindingRow(**{name: getattr(row, name) for name in _FINDING_COLUMNS})


_FINDING_COLUMNS = (
    "id",
    "site_id",
    "subject",
    "rule",
    "severity",
    "state",
    "summary",
    "evidence_json",
    "camera_id",
    "address",
    "agent_id",
    "first_seen",
    "last_seen",
    "resolved_at",
    "opened_at",
    "acknowledged_by",
    "acknowledged_at",
    "note",
    "escalated_at",
)
FINDING_SELECT = [
    findings.c[name] if name != "evidence_json" else findings.c.evidence.label("evidence_json")
    for name in _FINDING_COLUMNS
]


async def load_sites(connection: AsyncConnection, site_ids: list[str]) -> dict[str, SiteRecord]:
    records = {site_id: SiteRecord(site_id) for site_id in site_ids}
    for start in range(0, len(site_ids), _SITE_CHUNK):
        chunk = site_ids[start : start + _SITE_CHUNK]
        seen_rows = await connection.execute(
            select(
                observations.c.site_id,
                observations.c.address,
                observations.c.body,
                observations.c.observed_at,
            ).where(observations.c.site_id.in_(chunk))
        )
        for site_id, address, body, seen in seen_rows:
            observation = CameraObservation.model_validate_json(body)
            if seen > observation.observed_at:  # confirmed since by a heartbeat
                observation = observation.model_copy(update={"observed_at": seen})
            records[site_id].cameras[address] = observation
        rows = await connection.execute(
            select(cycles.c.site_id, cycles.c.finished_at, cycles.c.addresses).where(
                cycles.c.site_id.in_(chunk)
            )
        )
        for site_id, finished_at, addresses in rows:
            records[site_id].last_full_cycle_at = finished_at
            records[site_id].full_cycle_addresses = frozenset(json.loads(addresses))
        rows = await connection.execute(
            select(
                agents.c.agent_id,
                agents.c.site_id,
                agents.c.session_id,
                agents.c.online,
                agents.c.last_seen,
                agents.c.interval_s,
            ).where(agents.c.site_id.in_(chunk))
        )
        for row in rows:
            if row.site_id in records:
                records[row.site_id].agents.append(
                    AgentRow(
                        agent_id=row.agent_id,
                        site_id=row.site_id,
                        session_id=row.session_id,
                        online=row.online,
                        last_seen=row.last_seen,
                        interval_s=row.interval_s,
                    )
                )
        rows = await connection.execute(
            select(*FINDING_SELECT).where(findings.c.site_id.in_(chunk))
        )
        for row in rows:
            records[row.site_id].findings.append(finding_row(row))
    return records
