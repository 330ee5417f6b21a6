"""Storing many sites' reconcile verdicts at once: a pure diff per site,
then one set of bulk statements for the whole batch.

``diff_findings`` compares one site's verdict with its stored findings
(set operations on keys; no I/O): a new key is opened, a key that is gone
is resolved, a resolved key that comes back is reopened, a live key is
refreshed. ``write_diffs`` writes the diffs of any number of sites on one
connection with a handful of statements (executemany / multi-row INSERT
... ON CONFLICT ... RETURNING), whatever the number of sites, so a pass over
50,000 sites costs a few round trips per few thousand sites, not several
per site.

A refresh whose content did not change (the steady state of a finding
that holds pass after pass) only moves ``last_seen``: one ``UPDATE ...
WHERE id IN (...)`` per chunk instead of a row-by-row update.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.store.dialect import upsert
from controller.store.sites import FindingChange, FindingRow, SiteRecord
from controller.store.tables import LIVE_WHERE, finding_events, findings
from schemas.findings import Finding

_ID_CHUNK = 5000
"""Ids per ``IN (...)`` (bound parameters; SQLite allows 32,766)."""

Key = tuple[str, str, str]


@dataclass(slots=True)
class SiteDiff:
    """What must change for one site's stored findings to equal a verdict.
    ``changes`` holds the reopened and resolved ones (their ids are known);
    the opened ones get theirs from the INSERT in ``write_diffs``."""

    site_id: str
    touch: list[int] = field(default_factory=list)
    """Live findings that still hold unchanged: only ``last_seen`` moves."""
    refresh: list[dict[str, object]] = field(default_factory=list)
    """Live findings that still hold with a new severity, summary or evidence."""
    reopen: list[dict[str, object]] = field(default_factory=list)
    resolve: list[int] = field(default_factory=list)
    fresh: list[dict[str, object]] = field(default_factory=list)
    changes: list[FindingChange] = field(default_factory=list)


def diff_findings(record: SiteRecord, verdict: Sequence[Finding], now: datetime) -> SiteDiff:
    """The diff making ``record``'s stored findings equal ``verdict`` (pure)."""
    live: dict[Key, FindingRow] = {}
    resolved: dict[Key, FindingRow] = {}
    for row in record.findings:
        if row.state != "resolved":
            live[row.key] = row
        elif row.key not in resolved or row.id > resolved[row.key].id:
            resolved[row.key] = row
    diff = SiteDiff(record.site_id)
    wanted: set[Key] = set()
    for finding in verdict:
        key = (record.site_id, finding.key[1], finding.rule)
        wanted.add(key)
        evidence = json.dumps(finding.evidence)
        held = live.get(key)
        if held is not None:
            if _same(held, finding, evidence):
                diff.touch.append(held.id)
            else:
                diff.refresh.append(_values(held.id, finding, evidence, now))
        elif key in resolved:
            row = resolved[key]
            diff.reopen.append(_values(row.id, finding, evidence, now))
            diff.changes.append(
                FindingChange("reopened", row.id, key, finding.severity, finding.summary)
            )
        else:
            diff.fresh.append(_new_row(key, finding, evidence, now))
    for key, row in live.items():
        if key not in wanted:
            diff.resolve.append(row.id)
            diff.changes.append(
                FindingChange("resolved", row.id, row.key, row.severity, row.summary)
            )
    return diff


def _same(row: FindingRow, finding: Finding, evidence: str) -> bool:
    """Whether a stored live finding already says what ``finding`` says.
    PostgreSQL hands JSONB back re-spelled, so unequal text is compared
    parsed before calling it a change."""
    if row.severity != finding.severity or row.summary != finding.summary:
        return False
    return row.evidence_json == evidence or json.loads(row.evidence_json) == json.loads(evidence)


def _values(finding_id: int, finding: Finding, evidence: str, now: datetime) -> dict[str, object]:
    return {
        "b_id": finding_id,
        "b_severity": finding.severity,
        "b_summary": finding.summary,
        "b_evidence": evidence,
        "b_seen": now,
    }


def _new_row(key: Key, finding: Finding, evidence: str, now: datetime) -> dict[str, object]:
    return {
        "site_id": key[0],
        "subject": key[1],
        "rule": key[2],
        "severity": finding.severity,
        "state": "open",
        "summary": finding.summary,
        "evidence": evidence,
        "camera_id": finding.camera_id,
        "address": finding.address,
        "agent_id": finding.agent_id,
        "first_seen": now,
        "last_seen": now,
        "resolved_at": None,
    }


def _update_statement() -> Update:
    return (
        update(findings)
        .where(findings.c.id == bindparam("b_id"))
        .values(
            severity=bindparam("b_severity"),
            summary=bindparam("b_summary"),
            evidence=bindparam("b_evidence"),
            last_seen=bindparam("b_seen"),
        )
    )


async def write_diffs(
    connection: AsyncConnection, diffs: Sequence[SiteDiff], now: datetime
) -> dict[str, list[FindingChange]]:
    """Apply ``diffs`` on ``connection`` (the caller owns the transaction);
    returns each site's changes (reopened, resolved, then opened), each with
    a ``finding_events`` row written."""
    touch = [i for d in diffs for i in d.touch]
    refresh = [v for d in diffs for v in d.refresh]
    reopen = [v for d in diffs for v in d.reopen]
    resolve = [i for d in diffs for i in d.resolve]
    fresh = [r for d in diffs for r in d.fresh]
    for start in range(0, len(touch), _ID_CHUNK):
        await connection.execute(
            update(findings)
            .where(findings.c.id.in_(touch[start : start + _ID_CHUNK]))
            .values(last_seen=now)
        )
    if refresh:
        await connection.execute(_update_statement(), refresh)
    if reopen:
        await connection.execute(_update_statement().values(state="open", resolved_at=None), reopen)
    for start in range(0, len(resolve), _ID_CHUNK):
        await connection.execute(
            update(findings)
            .where(findings.c.id.in_(resolve[start : start + _ID_CHUNK]))
            .values(state="resolved", resolved_at=now)
        )
    changes = {d.site_id: list(d.changes) for d in diffs}
    if fresh:
        statement = (
            upsert(connection, findings)
            .on_conflict_do_nothing(
                index_elements=["site_id", "subject", "rule"], index_where=LIVE_WHERE
            )
            .returning(findings.c.id, findings.c.site_id, findings.c.subject, findings.c.rule)
        )
        result = await connection.execute(statement, fresh)
        opened = {(str(r["site_id"]), str(r["subject"]), str(r["rule"])): r for r in fresh}
        for finding_id, site_id, subject, rule in result:
            values = opened[(site_id, subject, rule)]
            changes[site_id].append(
                FindingChange(
                    "opened",
                    finding_id,
                    (site_id, subject, rule),
                    str(values["severity"]),
                    str(values["summary"]),
                )
            )
    every = [c for site_changes in changes.values() for c in site_changes]
    if every:
        await connection.execute(
            finding_events.insert(),
            [
                {
                    "finding_id": c.finding_id,
                    "event": c.event,
                    "at": now,
                    "summary": c.summary,
                    "severity": c.severity,
                }
                for c in every
            ],
        )
    return changes


async def apply_findings(
    connection: AsyncConnection,
    record: SiteRecord,
    verdict: Sequence[Finding],
    now: datetime,
) -> list[FindingChange]:
    """Make the stored findings of ``record``'s site equal ``verdict``."""
    changes = await write_diffs(connection, [diff_findings(record, verdict, now)], now)
    return changes[record.site_id]
