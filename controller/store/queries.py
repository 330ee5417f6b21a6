"""Reads for the HTTP API and for operators: findings with filters and
paging, a finding's history, the quarantine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.store.sites import FINDING_SELECT, FindingRow, finding_row
from controller.store.tables import finding_events, findings, quarantine


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """Every field given narrows the list; ``sites`` limits it to the sites
    this controller serves."""

    site: str | None = None
    camera: str | None = None
    rule: str | None = None
    severity: str | None = None
    state: str | None = None


_SEVERITY_ORDER = case({"critical": 0, "warning": 1, "info": 2}, value=findings.c.severity, else_=3)


async def list_findings(
    connection: AsyncConnection, where: FindingFilter, offset: int, limit: int
) -> tuple[list[FindingRow], int]:
    """One page of findings, most severe first, and the total matching."""
    conditions = []
    if where.site is not None:
        conditions.append(findings.c.site_id == where.site)
    if where.camera is not None:
        conditions.append(findings.c.subject == where.camera)
    if where.rule is not None:
        conditions.append(findings.c.rule == where.rule)
    if where.severity is not None:
        conditions.append(findings.c.severity == where.severity)
    if where.state is not None:
        conditions.append(findings.c.state == where.state)
    total = await connection.scalar(select(func.count()).select_from(findings).where(*conditions))
    rows = await connection.execute(
        select(*FINDING_SELECT)
        .where(*conditions)
        .order_by(
            _SEVERITY_ORDER, findings.c.site_id, findings.c.subject, findings.c.rule, findings.c.id
        )
        .offset(offset)
        .limit(limit)
    )
    return [finding_row(row) for row in rows], int(total or 0)


@dataclass(frozen=True, slots=True)
class FindingEventRow:
    event: str
    at: datetime
    summary: str


async def finding_history(connection: AsyncConnection, finding_id: int) -> list[FindingEventRow]:
    rows = await connection.execute(
        select(finding_events.c.event, finding_events.c.at, finding_events.c.summary)
        .where(finding_events.c.finding_id == finding_id)
        .order_by(finding_events.c.id)
    )
    return [FindingEventRow(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    id: int
    received_at: datetime
    topic: str
    reason: str
    size: int
    payload: bytes


async def list_quarantine(connection: AsyncConnection, limit: int = 1000) -> list[QuarantineRow]:
    rows = await connection.execute(select(quarantine).order_by(quarantine.c.id).limit(limit))
    return [QuarantineRow(*row) for row in rows]
