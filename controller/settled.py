"""Sites a pass may leave alone: a verdict settled until something is
written for the site or the clock crosses one of its thresholds.

Reconcile is a pure function of the policy, what is stored of the site and
the time. What is stored moves only with the ingest, which moves the
site's stamps in the same transaction (``controller.store.settled``); the
time matters only at the moments ``reconcile.holds_until`` names (a camera
turning stale, an agent falling silent) and at a finding's escalation. So
a site whose stamps are those its verdict was judged at, before those
moments, would be judged exactly the same again: a pass keeps its verdict
and summary, and only marks its live findings seen, as a fresh judgement
would. Heartbeats (the ``seen`` stamp: times moved forward, nothing else)
leave a verdict as it is when no finding names a time they move and every
observation already counts for the site's last full cycle
(``heartbeats_safe``); then only the summary's last report moves.

The settled verdicts are also stored, under a key naming the policy, the
judging and summarising code and the settings, so that a restarted
reconciler leaves alone what its predecessor settled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from controller.judged import source_digest
from controller.reconcile import AgentState, ReconcileSettings, agent_silent, counts_for_cycle
from controller.site_summary import SiteSummary
from controller.store import FindingChange, SettledSite, SiteRecord, SiteStamp
from schemas.api import SiteView
from schemas.findings import Finding

SUMMARY_MODULES = ("controller.site_summary", "controller.views", "controller.settled")
"""Modules (besides the judging ones in the judge key) whose code decides
what a settled verdict holds: the summary and these rules."""


def names_a_time(finding: Finding) -> bool:
    """Whether ``finding`` names the time of a last message, which
    heartbeats move: ``agent.offline``, and ``camera.unreachable`` of a
    stale camera (one that did not answer, and is not stale, names none)."""
    return finding.rule == "agent.offline" or (
        finding.rule == "camera.unreachable" and finding.evidence.get("stale") is True
    )


def settled_key(judge_key: str, settings: str) -> str:
    """64 hex digits naming a judge key (policy and judging code), the
    summarising code and the reconcile ``settings`` (their text)."""
    summary_code = source_digest(SUMMARY_MODULES)
    digest = hashlib.sha256(f"{judge_key}\0{summary_code}\0{settings}".encode())
    return digest.hexdigest()


class AgentKey(NamedTuple):
    """What a verdict takes of the site's agent: who it is and whether it
    is online, and its last seen only when a finding names it (offline or
    silent: ``agent.offline``). A live agent's last seen moves with every
    message and changes nothing until it falls silent."""

    agent_id: str
    session_id: str
    online: bool
    interval_s: float
    last_seen: datetime | None


def agent_key(
    agent: AgentState | None, now: datetime, settings: ReconcileSettings
) -> AgentKey | None:
    if agent is None:
        return None
    timed = not agent.online or agent_silent(agent, now, settings)
    return AgentKey(
        agent.agent_id, agent.session_id, agent.online, agent.interval_s,
        agent.last_seen if timed else None,
    )


@dataclass(frozen=True, slots=True)
class Settled:
    """A site's verdict as stored, what it was judged at, and its summary."""

    key: str
    stamp: SiteStamp
    until: datetime | None
    """The first moment the clock alone may change the verdict (exclusive),
    but for the agent falling silent: ``agent`` is compared live."""
    agent: AgentKey | None
    heartbeats_safe: bool
    cycle_at: datetime | None
    summary: SiteSummary

    def kept(
        self, key: str, stamp: SiteStamp, agent: AgentKey | None, now: datetime
    ) -> Settled | None:
        """This verdict as it stands at ``now`` with the site's stamps
        ``stamp`` and agent ``agent`` (its summary's last report moved by
        heartbeats), or None if the site must be judged again."""
        if key != self.key or stamp.facts != self.stamp.facts or agent != self.agent:
            return None
        if (self.until is not None and now >= self.until) or not self.summary.holds_at(now):
            return None
        if stamp.seen == self.stamp.seen:
            return self
        if not self.heartbeats_safe:
            return None
        view = self.summary.view
        newest = stamp.seen_at
        if newest is not None and (view.last_report_at is None or newest > view.last_report_at):
            view = view.model_copy(update={"last_report_at": newest})
        return Settled(
            self.key, stamp, self.until, self.agent, True, self.cycle_at,
            self.summary._replace(view=view),
        )

    def row(self, site_id: str) -> SettledSite:
        summary = self.summary
        agent = self.agent
        return SettledSite(
            site_id, self.key, self.stamp.facts, self.stamp.seen, self.until,
            json.dumps([*agent[:4], agent.last_seen.isoformat() if agent.last_seen else None])
            if agent is not None else None,
            self.heartbeats_safe, self.cycle_at, summary.view.model_dump_json(), summary.at,
            summary.stale_at, summary.movable,
        )

    @classmethod
    def from_row(cls, row: SettledSite, seen_at: datetime | None) -> Settled:
        """The verdict ``row`` holds (raises ValueError, pydantic's
        ValidationError included, for a view or agent not as written);
        ``seen_at``: the newest time heartbeats moved the site to, which the
        row does not keep."""
        view = SiteView.model_validate_json(row.view)
        return cls(
            row.settled_key, SiteStamp(row.facts, row.seen, seen_at), row.holds_until,
            _agent_key(row.agent), row.heartbeats_safe, row.cycle_at,
            SiteSummary(view, row.view_at, row.stale_at, row.movable),
        )


def _agent_key(text: str | None) -> AgentKey | None:
    if text is None:
        return None
    try:
        agent_id, session_id, online, interval_s, last_seen = json.loads(text)
        if not (isinstance(agent_id, str) and isinstance(session_id, str)
                and isinstance(online, bool) and isinstance(interval_s, int | float)):
            raise TypeError("not text, text, true or false, a number")
        return AgentKey(
            agent_id, session_id, online, float(interval_s),
            datetime.fromisoformat(last_seen) if last_seen is not None else None,
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"stored agent {text!r} is not as written: {exc}") from None


def settle(
    key: str,
    stamp: SiteStamp,
    agent: AgentKey | None,
    record: SiteRecord,
    verdict: tuple[Finding, ...],
    changes: Iterable[FindingChange],
    summary: SiteSummary,
    until: datetime | None,
    escalate_after_s: float | None,
    now: datetime,
) -> Settled:
    """The settled form of a verdict just stored for ``record`` (read at
    ``stamp``): ``until`` is ``holds_until``'s, made sooner by the first
    escalation the lifecycle would make by age alone."""
    escalates = _escalates_at(record, verdict, changes, escalate_after_s, now)
    if escalates is not None and (until is None or escalates < until):
        until = escalates
    cycle_at = record.last_full_cycle_at
    in_cycle = all(
        counts_for_cycle(address, o, cycle_at, record.full_cycle_addresses)
        for address, o in record.cameras.items()
    )
    safe = summary.movable and in_cycle and not any(names_a_time(f) for f in verdict)
    return Settled(key, stamp, until, agent, safe, cycle_at, summary)


def _escalates_at(
    record: SiteRecord,
    verdict: tuple[Finding, ...],
    changes: Iterable[FindingChange],
    escalate_after_s: float | None,
    now: datetime,
) -> datetime | None:
    """When the first live finding turns old enough to escalate
    (``alerts.lifecycle.escalations``): one stored open and not escalated
    from when it opened, one opened or reopened now from now."""
    if escalate_after_s is None or not verdict:
        return None
    after = timedelta(seconds=escalate_after_s)
    done = {c.finding_id for c in changes if c.event == "escalated"}
    if any(c.event in ("opened", "reopened") for c in changes):
        first: datetime | None = now + after
    else:
        first = None
    holding = {(f.key[1], f.rule) for f in verdict}
    for row in record.findings:
        if (
            row.state == "open"
            and row.escalated_at is None
            and row.id not in done
            and (row.subject, row.rule) in holding
        ):
            at = (row.opened_at or row.first_seen) + after
            if first is None or at < first:
                first = at
    return first
