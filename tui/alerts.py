"""The alert feed: what the event stream said about findings and agents.

Pure: ``AlertFeed.add`` takes a ``ChangeEvent`` and keeps what an operator
on watch wants to see (a finding opened, escalated, reopened, acknowledged
or resolved; an agent going offline or coming back), newest first, bounded.
``is_alarming`` says which of them interrupt the operator wherever they are:
a critical finding that is new, newly critical, or back.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from schemas.api import ChangeEvent, FindingEvent, FindingView, SiteView

MAX_ALERTS = 1000
ALARMING_STEPS = frozenset({"opened", "escalated", "reopened"})


@dataclass(frozen=True)
class Alert:
    seq: int
    at: datetime
    site_id: str
    finding: FindingView | None = None
    step: FindingEvent | None = None
    site: SiteView | None = None
    """For an agent change: the site as it now is (its agent's state)."""

    @property
    def key(self) -> str:
        return str(self.seq)


def is_alarming(alert: Alert) -> bool:
    """A critical finding opened, escalated to critical, or reopened."""
    return (
        alert.finding is not None
        and alert.step is not None
        and alert.step.kind in ALARMING_STEPS
        and alert.finding.severity == "critical"
    )


class AlertFeed:
    """The last ``limit`` alerts, newest first. The same ``seq`` twice (a
    stream replaying after a reconnect) is kept once."""

    def __init__(self, limit: int = MAX_ALERTS) -> None:
        self._alerts: deque[Alert] = deque(maxlen=limit)
        self._seen: set[int] = set()

    def add(self, change: ChangeEvent) -> Alert | None:
        """The alert ``change`` makes, or None when it is not one (a site
        summary, a heartbeat, an event already seen)."""
        if change.seq in self._seen:
            return None
        if change.kind == "finding" and change.finding is not None:
            alert = Alert(change.seq, change.at, change.finding.site_id,
                          finding=change.finding, step=change.event)
        elif change.kind == "agent" and change.site is not None:
            alert = Alert(change.seq, change.at, change.site.site_id, site=change.site)
        else:
            return None
        if len(self._alerts) == self._alerts.maxlen:
            self._seen.discard(self._alerts[-1].seq)
        self._alerts.appendleft(alert)
        self._seen.add(change.seq)
        return alert

    @property
    def items(self) -> tuple[Alert, ...]:
        return tuple(self._alerts)

    def __len__(self) -> int:
        return len(self._alerts)
