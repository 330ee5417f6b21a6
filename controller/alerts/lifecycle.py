"""Pure lifecycle decisions: when a finding escalates, which finding changes
become alerts, and the per-camera rate limit on alerts.

Nothing here touches a clock, a socket or a database: ``now`` and the rows
are passed in, so every rule is tested with plain data.

Escalation (a ``finding_events`` row ``escalated`` and an alert):

- the severity of a live finding rose (info -> warning -> critical);
- or a finding has been *open* (not acknowledged) for ``escalate_after_s``
  since it (re)opened, once per opening.

An acknowledged finding never escalates by age: someone is on it.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from schemas.messages import AlertEvent, AlertMessage
from schemas.rules import CATALOG, Severity

SEVERITY_RANK: Mapping[str, int] = {"info": 0, "warning": 1, "critical": 2}


class StoredFinding(Protocol):
    """What escalation needs of a stored finding (``store.FindingRow``)."""

    @property
    def id(self) -> int: ...
    @property
    def key(self) -> tuple[str, str, str]: ...
    @property
    def state(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def first_seen(self) -> datetime: ...
    @property
    def opened_at(self) -> datetime | None: ...
    @property
    def escalated_at(self) -> datetime | None: ...


class CurrentFinding(Protocol):
    """What escalation needs of reconcile's verdict (``schemas.findings.Finding``)."""

    @property
    def rule(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def key(self) -> tuple[str, str, str]: ...


@dataclass(frozen=True, slots=True)
class Escalation:
    finding_id: int
    key: tuple[str, str, str]
    severity: str
    summary: str
    reason: str
    """``severity rose from X`` or ``open and unacknowledged for N s``."""


def escalations(
    before: Iterable[StoredFinding],
    verdict: Iterable[CurrentFinding],
    now: datetime,
    escalate_after_s: float | None,
) -> list[Escalation]:
    """The live findings of one site that escalate in this reconcile.

    ``before``: the site's stored findings as read before the verdict was
    applied; ``verdict``: what holds now. A finding that resolves or opens
    in this pass does not escalate (it has its own event)."""
    current = {(f.key[1], f.rule): f for f in verdict}
    found: list[Escalation] = []
    for row in before:
        if row.state == "resolved":
            continue
        holding = current.get((row.key[1], row.key[2]))
        if holding is None:
            continue
        if SEVERITY_RANK.get(holding.severity, 0) > SEVERITY_RANK.get(row.severity, 0):
            reason = f"severity rose from {row.severity} to {holding.severity}"
        elif (
            escalate_after_s is not None
            and row.state == "open"
            and row.escalated_at is None
            and now - (row.opened_at or row.first_seen) >= timedelta(seconds=escalate_after_s)
        ):
            reason = f"open and unacknowledged for more than {escalate_after_s:g} s"
        else:
            continue
        found.append(Escalation(row.id, row.key, holding.severity, holding.summary, reason))
    return found


def make_alert(
    event: AlertEvent,
    finding_id: int,
    key: tuple[str, str, str],
    severity: str,
    summary: str,
    at: datetime,
) -> AlertMessage:
    """The alert announcing one finding change (a fresh ``alert_id``)."""
    site_id, camera_key, rule = key
    entry = CATALOG.get(rule)
    return AlertMessage(
        alert_id=uuid.uuid4().hex,
        event=event,
        at=at,
        site_id=site_id,
        finding_id=finding_id,
        rule=rule,
        severity=_severity(severity),
        camera_key=camera_key,
        summary=summary,
        legal_basis=entry.legal_basis if entry else "",
    )


_SEVERITIES: Mapping[str, Severity] = {"critical": "critical", "warning": "warning", "info": "info"}


def _severity(value: str) -> Severity:
    return _SEVERITIES.get(value, "warning")


@dataclass(slots=True)
class RateLimiter:
    """At most ``max_alerts`` alerts per ``window_s`` per (site, camera).

    A flapping camera does not flood: alerts past the limit are suppressed
    (counted in ``suppressed_total``) and the number suppressed is told in
    the summary of that camera's next admitted alert.
    State is in memory: a controller restart starts every window afresh."""

    max_alerts: int
    window_s: float
    suppressed_total: int = 0
    _sent: dict[tuple[str, str], deque[datetime]] = field(default_factory=dict)
    _held: dict[tuple[str, str], int] = field(default_factory=dict)

    def admit(self, site_id: str, camera_key: str, now: datetime) -> int | None:
        """None: suppress this alert. Otherwise the number of this camera's
        alerts suppressed since its last admitted one (0 usually)."""
        camera = (site_id, camera_key)
        sent = self._sent.setdefault(camera, deque())
        horizon = now - timedelta(seconds=self.window_s)
        while sent and sent[0] <= horizon:
            sent.popleft()
        if len(sent) >= self.max_alerts:
            self._held[camera] = self._held.get(camera, 0) + 1
            self.suppressed_total += 1
            return None
        sent.append(now)
        return self._held.pop(camera, 0)
