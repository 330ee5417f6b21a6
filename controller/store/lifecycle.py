"""The findings lifecycle and the alert outbox in the database.

``after_findings`` runs in the transaction that applied a reconcile verdict
(``Store.apply_findings``): it records escalations, clears the
acknowledgement of a finding that reopened, and writes one alert per change
to the ``alerts`` outbox, so a committed change always has its alert (and a
rolled-back one never does). ``acknowledge`` is an operator's step.
``pending_alerts``/``record_delivery`` are the dispatcher's reads and
writes: a ``alert_deliveries`` row per (alert, target) is what keeps an
alert from being delivered twice to one target, across restarts.

``LifecycleStore`` is mixed into ``Store``; its methods each run in one
transaction and raise StoreError when the database refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.alerts.lifecycle import RateLimiter, escalations, make_alert
from controller.store.agents import agent_policy_views
from controller.store.dialect import upsert
from controller.store.sites import (
    FINDING_SELECT,
    FindingChange,
    FindingRow,
    SiteRecord,
    finding_row,
)
from controller.store.tables import alert_deliveries, alerts, finding_events, findings, policies
from schemas.api import AgentPolicyView
from schemas.findings import Finding


@dataclass(slots=True)
class LifecycleSettings:
    """How the store treats finding changes (set by the service from config)."""

    escalate_after_s: float | None = None
    """Escalate a finding open and unacknowledged this long; None: never by age."""
    alerts: bool = False
    """Write an alert per change to the outbox (some target will deliver it)."""
    limiter: RateLimiter | None = None
    """The per-camera rate limit; None: no limit."""
    alerts_written: int = 0
    alerts_suppressed: int = 0


class NotAcknowledgeable(Exception):
    """The finding exists but is resolved: there is nothing to acknowledge."""


@dataclass(frozen=True, slots=True)
class EventRow:
    finding_id: int
    event: str
    at: datetime
    by: str | None
    note: str | None
    severity: str | None


@dataclass(frozen=True, slots=True)
class PendingAlert:
    seq: int
    alert_id: str
    site_id: str
    camera_key: str
    severity: str
    body: str
    """The AlertMessage JSON."""


@dataclass(frozen=True, slots=True)
class PolicyLoad:
    policy_id: str
    version: str
    loaded_at: datetime


async def after_findings(
    connection: AsyncConnection,
    record: SiteRecord,
    verdict: tuple[Finding, ...],
    changes: list[FindingChange],
    now: datetime,
    settings: LifecycleSettings,
) -> list[FindingChange]:
    """Escalations, reopen bookkeeping and alerts for one applied verdict;
    returns ``changes`` followed by the escalations."""
    reopened = [c.finding_id for c in changes if c.event == "reopened"]
    if reopened:
        await connection.execute(
            update(findings)
            .where(findings.c.id.in_(reopened))
            .values(
                opened_at=now,
                acknowledged_by=None,
                acknowledged_at=None,
                note=None,
                escalated_at=None,
            )
        )
    escalated = escalations(record.findings, verdict, now, settings.escalate_after_s)
    if escalated:
        await connection.execute(
            update(findings)
            .where(findings.c.id.in_([e.finding_id for e in escalated]))
            .values(escalated_at=now)
        )
        await connection.execute(
            finding_events.insert(),
            [
                {
                    "finding_id": e.finding_id,
                    "event": "escalated",
                    "at": now,
                    "summary": e.summary,
                    "note": e.reason,
                    "severity": e.severity,
                }
                for e in escalated
            ],
        )
    every = changes + [
        FindingChange("escalated", e.finding_id, e.key, e.severity, e.summary) for e in escalated
    ]
    if settings.alerts and every:
        await _enqueue(connection, every, now, settings)
    return every


async def _enqueue(
    connection: AsyncConnection,
    changes: Sequence[FindingChange],
    now: datetime,
    settings: LifecycleSettings,
) -> None:
    rows: list[dict[str, object]] = []
    for change in changes:
        site_id, camera_key, _ = change.key
        held = 0
        if settings.limiter is not None:
            admitted = settings.limiter.admit(site_id, camera_key, now)
            if admitted is None:
                settings.alerts_suppressed += 1
                continue
            held = admitted
        summary = change.summary
        if held:
            summary += f" ({held} earlier alert(s) of this camera held back by the rate limit)"
        alert = make_alert(
            change.event, change.finding_id, change.key, change.severity, summary, now
        )
        rows.append(
            {
                "alert_id": alert.alert_id,
                "site_id": site_id,
                "camera_key": camera_key,
                "severity": alert.severity,
                "created_at": now,
                "body": alert.model_dump_json(),
            }
        )
    if rows:
        await connection.execute(alerts.insert(), rows)
        settings.alerts_written += len(rows)


async def acknowledge(
    connection: AsyncConnection, finding_id: int, by: str, note: str, now: datetime
) -> tuple[FindingRow, EventRow] | None:
    """Mark a live finding acknowledged (again: the newest note wins).
    None: no such finding; NotAcknowledgeable: it is resolved."""
    row = await get_finding(connection, finding_id)
    if row is None:
        return None
    if row.state == "resolved":
        raise NotAcknowledgeable(f"finding {finding_id} is resolved: nothing to acknowledge")
    await connection.execute(
        update(findings)
        .where(findings.c.id == finding_id)
        .values(state="acknowledged", acknowledged_by=by, acknowledged_at=now, note=note)
    )
    await connection.execute(
        finding_events.insert().values(
            finding_id=finding_id,
            event="acknowledged",
            at=now,
            summary=row.summary,
            by=by,
            note=note,
            severity=row.severity,
        )
    )
    updated = await get_finding(connection, finding_id)
    assert updated is not None
    return updated, EventRow(finding_id, "acknowledged", now, by, note, row.severity)


async def get_finding(connection: AsyncConnection, finding_id: int) -> FindingRow | None:
    result = await connection.execute(select(*FINDING_SELECT).where(findings.c.id == finding_id))
    row = result.first()
    return finding_row(row) if row is not None else None


async def get_findings(connection: AsyncConnection, ids: Sequence[int]) -> dict[int, FindingRow]:
    result = await connection.execute(select(*FINDING_SELECT).where(findings.c.id.in_(ids)))
    rows = [finding_row(row) for row in result]
    return {row.id: row for row in rows}


async def history(connection: AsyncConnection, finding_id: int) -> list[EventRow]:
    result = await connection.execute(
        select(
            finding_events.c.finding_id,
            finding_events.c.event,
            finding_events.c.at,
            finding_events.c.by,
            finding_events.c.note,
            finding_events.c.severity,
        )
        .where(finding_events.c.finding_id == finding_id)
        .order_by(finding_events.c.id)
    )
    return [EventRow(*row) for row in result]


async def pending_alerts(
    connection: AsyncConnection, target: str, since: datetime, limit: int
) -> list[PendingAlert]:
    """Alerts created at or after ``since`` not yet settled for ``target``,
    oldest first."""
    result = await connection.execute(
        select(
            alerts.c.seq,
            alerts.c.alert_id,
            alerts.c.site_id,
            alerts.c.camera_key,
            alerts.c.severity,
            alerts.c.body,
        )
        .select_from(
            alerts.outerjoin(
                alert_deliveries,
                and_(
                    alert_deliveries.c.alert_id == alerts.c.alert_id,
                    alert_deliveries.c.target == target,
                ),
            )
        )
        .where(alert_deliveries.c.alert_id.is_(None), alerts.c.created_at >= since)
        .order_by(alerts.c.seq)
        .limit(limit)
    )
    return [PendingAlert(*row) for row in result]


async def record_delivery(
    connection: AsyncConnection,
    alert_id: str,
    target: str,
    outcome: str,
    attempts: int,
    now: datetime,
) -> None:
    """Settle one alert for one target (the first outcome recorded stays)."""
    statement = upsert(connection, alert_deliveries).values(
        alert_id=alert_id, target=target, outcome=outcome, attempts=attempts, at=now
    )
    await connection.execute(statement.on_conflict_do_nothing())


async def policy_loads(connection: AsyncConnection) -> dict[str, PolicyLoad]:
    result = await connection.execute(
        select(policies.c.policy_id, policies.c.version, policies.c.loaded_at)
    )
    return {row[0]: PolicyLoad(*row) for row in result}


class LifecycleStore:
    """The lifecycle half of ``Store`` (mixed in; see the module doc)."""

    _lifecycle: LifecycleSettings | None = None

    @property
    def lifecycle(self) -> LifecycleSettings:
        """Escalation and alert settings; defaults until the service sets them."""
        if self._lifecycle is None:
            self._lifecycle = LifecycleSettings()
        return self._lifecycle

    @lifecycle.setter
    def lifecycle(self, settings: LifecycleSettings) -> None:
        self._lifecycle = settings

    def _transaction(self, doing: str) -> AbstractAsyncContextManager[AsyncConnection]:
        raise NotImplementedError

    def _reading(self, doing: str) -> AbstractAsyncContextManager[AsyncConnection]:
        raise NotImplementedError

    async def acknowledge(
        self, finding_id: int, by: str, note: str, now: datetime
    ) -> tuple[FindingRow, EventRow] | None:
        async with self._transaction(f"acknowledge finding {finding_id}") as connection:
            return await acknowledge(connection, finding_id, by, note, now)

    async def get_finding(self, finding_id: int) -> FindingRow | None:
        async with self._reading(f"read finding {finding_id}") as connection:
            return await get_finding(connection, finding_id)

    async def get_findings(self, ids: Sequence[int]) -> dict[int, FindingRow]:
        if not ids:
            return {}
        async with self._reading("read findings") as connection:
            return await get_findings(connection, ids)

    async def history(self, finding_id: int) -> list[EventRow]:
        async with self._reading(f"read the history of finding {finding_id}") as connection:
            return await history(connection, finding_id)

    async def pending_alerts(
        self, target: str, since: datetime, limit: int = 500
    ) -> list[PendingAlert]:
        async with self._reading("read pending alerts") as connection:
            return await pending_alerts(connection, target, since, limit)

    async def record_delivery(
        self, alert_id: str, target: str, outcome: str, attempts: int, now: datetime
    ) -> None:
        async with self._transaction("record an alert delivery") as connection:
            await record_delivery(connection, alert_id, target, outcome, attempts, now)

    async def policy_loads(self) -> dict[str, PolicyLoad]:
        async with self._reading("read the policies") as connection:
            return await policy_loads(connection)

    async def agent_policies(self, policy_id: str | None = None) -> list[AgentPolicyView]:
        async with self._reading("read agents' policy versions") as connection:
            return await agent_policy_views(connection, policy_id)
