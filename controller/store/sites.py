"""What reconcile reads about sites, and how its verdict is written back.

``load_sites`` reads everything reconcile needs for a set of sites in a few
bulk queries (four per 500 sites, whatever their size). Writing a verdict
back is ``controller.store.bulk``'s business.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, cast

from sqlalchemy import select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import NullType

from controller.reconcile import lean_at
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


ObservationToken = tuple[str, Hashable]
"""An observation's version (``controller.reconcile.ObservationToken``):
the report its facts came from and its time (which a heartbeat moves
forward without a new report), the time as the driver gives it (text on
SQLite, a datetime on PostgreSQL): the token is only ever compared with
another token read the same way, and not converting it saves a datetime
per camera on every pass (bench/README.md, reconcile)."""

_VERSION_TIME = type_coerce(observations.c.observed_at, NullType()).label("version_time")
"""``observed_at`` without ``UtcDateTime``'s conversion, for tokens."""

class HeldObservation(Protocol):
    """An observation the caller already holds, and its version."""

    @property
    def token(self) -> tuple[Hashable, Hashable]: ...

    @property
    def observation(self) -> CameraObservation: ...


KnownObservation = Callable[[str], Mapping[str, HeldObservation]]
"""``site_id`` -> what the caller already holds of that site, by address;
a stored observation whose version (token) equals the held one's is taken
from there, any other is parsed. (A mapping per site, not a question per
camera: the loader asks two million times a pass otherwise.)"""

_PENDING = cast(CameraObservation, None)
"""Holds an address's place (the order rows came in) until its body is parsed."""


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
    tokens: dict[str, ObservationToken] = field(default_factory=dict)
    """Per address, the version of its stored observation (see ``load_sites``)."""
    facts_at: dict[str, datetime] = field(default_factory=dict)
    """Per address parsed by this load whose observation a heartbeat has
    confirmed since its report: when its facts were audited (the report's
    own ``observed_at``; ``cameras`` holds the heartbeat's time)."""
    parsed: int = 0
    """Observations this load parsed from their stored JSON."""
    moved: int = 0
    """Observations the caller held whose time alone a heartbeat has moved
    since (taken from the caller with the new time, not parsed); 0 for
    both with ``known``: every camera is the version the caller held."""

    def agent(self) -> AgentRow | None:
        """The site's agent (``site_agent``)."""
        return site_agent(self.agents)


def site_agent(rows: Sequence[AgentRow]) -> AgentRow | None:
    """A site's agent among its rows: the online one seen last, else the one
    seen last."""
    if not rows:
        return None
    return max(rows, key=lambda a: (a.online, a.last_seen))


async def agent_rows(connection: AsyncConnection, site_ids: Sequence[str]) -> list[AgentRow]:
    """The agents of ``site_ids`` (one query: the caller chunks)."""
    rows = await connection.execute(
        select(
            agents.c.agent_id,
            agents.c.site_id,
            agents.c.session_id,
            agents.c.online,
            agents.c.last_seen,
            agents.c.interval_s,
        ).where(agents.c.site_id.in_(site_ids))
    )
    return [AgentRow(*row) for row in rows]


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


async def load_sites(
    connection: AsyncConnection, site_ids: list[str], known: KnownObservation | None = None
) -> dict[str, SiteRecord]:
    """Everything reconcile needs of ``site_ids``. With ``known``, stored
    observations whose version the caller already holds are not fetched nor
    parsed (parsing an observation's JSON costs tens of microseconds; a
    fleet of millions is mostly unchanged from one pass to the next)."""
    records = {site_id: SiteRecord(site_id) for site_id in site_ids}
    for start in range(0, len(site_ids), _SITE_CHUNK):
        chunk = site_ids[start : start + _SITE_CHUNK]
        if known is None:
            await _observations(connection, records, chunk)
        else:
            await _changed_observations(connection, records, chunk, known)
        rows = await connection.execute(
            select(cycles.c.site_id, cycles.c.finished_at, cycles.c.addresses).where(
                cycles.c.site_id.in_(chunk)
            )
        )
        for site_id, finished_at, addresses in rows:
            records[site_id].last_full_cycle_at = finished_at
            records[site_id].full_cycle_addresses = frozenset(json.loads(addresses))
        for row in await agent_rows(connection, chunk):
            if row.site_id in records:
                records[row.site_id].agents.append(row)
        rows = await connection.execute(
            select(*FINDING_SELECT).where(findings.c.site_id.in_(chunk))
        )
        found: Iterable[tuple[Any, ...]] = rows  # a Row is a tuple
        for values in found:  # FINDING_SELECT is FindingRow's fields in order
            finding = FindingRow(*values)
            records[finding.site_id].findings.append(finding)
    return records


def _parse(record: SiteRecord, address: str, body: str, seen: datetime) -> None:
    """The stored observation of ``address`` into ``record``, at ``seen``
    if a heartbeat has confirmed it since (and when its facts are of)."""
    observation = CameraObservation.model_validate_json(body)
    if seen > observation.observed_at:
        record.facts_at[address] = observation.observed_at
        observation = observation.model_copy(update={"observed_at": seen})
    record.cameras[address] = observation
    record.parsed += 1


def _stored_time(value: object) -> datetime:
    """A version's time (``_VERSION_TIME``, as the driver gives it) as an
    aware datetime: SQLite's text (``types.sqlite_time``) or PostgreSQL's."""
    if isinstance(value, str):  # parsed with its zone: 0.2 µs, with .replace(tzinfo=) 1.5
        return datetime.fromisoformat(value + "+00:00")
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    raise TypeError(f"an observation's stored time {value!r} is neither SQLite's text nor aware")


async def _observations(
    connection: AsyncConnection, records: dict[str, SiteRecord], chunk: list[str]
) -> None:
    rows = await connection.execute(
        select(
            observations.c.site_id,
            observations.c.address,
            observations.c.report_id,
            observations.c.observed_at,
            _VERSION_TIME,
            observations.c.body,
        ).where(observations.c.site_id.in_(chunk))
    )
    for site_id, address, report_id, seen, version_time, body in rows:
        record = records[site_id]
        _parse(record, address, body, seen)
        record.tokens[address] = (report_id, version_time)


async def _changed_observations(
    connection: AsyncConnection,
    records: dict[str, SiteRecord],
    chunk: list[str],
    known: KnownObservation,
) -> None:
    """Versions first (small columns); bodies only of the sites holding an
    observation ``known`` does not have. One ``known`` holds of the same
    report, at an earlier time (a heartbeat since), is taken at the new time."""
    rows = await connection.execute(
        select(
            observations.c.site_id,
            observations.c.address,
            observations.c.report_id,
            _VERSION_TIME,
        ).where(observations.c.site_id.in_(chunk))
    )
    missing: dict[str, set[str]] = {}
    current = None
    tokens: dict[str, ObservationToken] = {}
    cameras: dict[str, CameraObservation] = {}
    holds: Mapping[str, HeldObservation] = {}
    for site_id, address, report_id, version_time in rows:
        if site_id != current:  # rows mostly come site by site (key order): look up on a change
            current = site_id
            record = records[site_id]
            tokens, cameras, holds = record.tokens, record.cameras, known(site_id)
        token = (report_id, version_time)
        tokens[address] = token
        held = holds.get(address)
        if held is not None and held.token == token:
            cameras[address] = held.observation
        elif held is not None and held.token[0] == report_id:
            cameras[address] = lean_at(held.observation, _stored_time(version_time))
            record.moved += 1
        else:
            missing.setdefault(site_id, set()).add(address)
            cameras[address] = _PENDING
    if not missing:
        return
    bodies = await connection.execute(
        select(
            observations.c.site_id,
            observations.c.address,
            observations.c.report_id,
            observations.c.observed_at,
            _VERSION_TIME,
            observations.c.body,
        ).where(observations.c.site_id.in_(list(missing)))
    )
    for site_id, address, report_id, seen, version_time, body in bodies:
        wanted = missing[site_id]
        if address in wanted:
            # The version read with the body: it may be newer than the first read.
            record = records[site_id]
            _parse(record, address, body, seen)
            record.tokens[address] = (report_id, version_time)
            wanted.discard(address)
    for site_id, gone in missing.items():  # deleted between the two reads
        for address in gone:
            del records[site_id].cameras[address]
            del records[site_id].tokens[address]
