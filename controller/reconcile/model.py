"""The inputs of a reconcile: what the controller knows of one site.

Plain frozen dataclasses (not pydantic models): the controller builds one per
site per pass, 50,000 sites at a time, so construction must cost nothing
beyond the few checks that catch a caller's mistake early.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime

from agent.checks.matching import Match
from schemas.findings import Finding
from schemas.messages import CameraObservation


def _aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (UTC), got naive {value!r}")


ObservationToken = tuple[Hashable, Hashable]
"""The version of an observation as (its facts, its time): the facts'
version changes with every report that carries facts (the store gives
the report id), the time's also with every heartbeat that confirms them
unchanged. Equal tokens: the same observation. Equal facts versions: the
same judgement of the device, at a later time."""


@dataclass(frozen=True, slots=True)
class AgentState:
    """The site's agent as the controller last heard of it (birth, death,
    reports). ``online`` is false after its death message; ``last_seen`` is
    its newest message of any kind; ``interval_s`` its audit interval."""

    agent_id: str
    session_id: str
    online: bool
    last_seen: datetime
    interval_s: float

    def __post_init__(self) -> None:
        _aware(self.last_seen, "AgentState.last_seen")
        if not self.interval_s > 0:
            raise ValueError(f"AgentState.interval_s must be > 0 seconds, got {self.interval_s!r}")


@dataclass(frozen=True, slots=True)
class SiteObservations:
    """The latest state of one site's observations.

    ``cameras`` holds the latest observation per address.
    ``last_full_cycle_at`` is the ``finished_at`` of the newest complete audit
    cycle and ``full_cycle_addresses`` the addresses audited in it; before a
    first full cycle nothing can be called missing.
    """

    site_id: str
    cameras: Mapping[str, CameraObservation]
    last_full_cycle_at: datetime | None
    full_cycle_addresses: frozenset[str]
    agent: AgentState | None
    tokens: Mapping[str, ObservationToken] | None = None
    """Per address, the version of its observation (see ``ObservationToken``):
    an observation whose token equals the one in the caller's memo is not
    matched and judged again, nor one whose facts are of the same version
    (see ``Judged``)."""
    facts_at: Mapping[str, datetime] | None = None
    """Per address, when its facts were audited, where that is before its
    ``observed_at``: a heartbeat has since said they still hold. The device
    rules judge facts as of their own audit (a recording's newest footage
    is as old as the report, not as the heartbeat); staleness goes by
    ``observed_at``."""

    def __post_init__(self) -> None:
        if self.last_full_cycle_at is not None:
            _aware(self.last_full_cycle_at, "SiteObservations.last_full_cycle_at")


@dataclass(frozen=True, slots=True)
class ReconcileSettings:
    """``stale_after_s``: an observation older than this makes its camera
    unreachable. ``agent_silent_intervals``: an agent silent for more than this
    many of its intervals is offline."""

    stale_after_s: float = 900.0
    agent_silent_intervals: float = 3.0

    def __post_init__(self) -> None:
        if not self.stale_after_s > 0:
            raise ValueError(
                f"ReconcileSettings.stale_after_s must be > 0 seconds, got {self.stale_after_s!r}"
            )
        if not self.agent_silent_intervals > 0:
            raise ValueError(
                "ReconcileSettings.agent_silent_intervals must be > 0, "
                f"got {self.agent_silent_intervals!r}"
            )


@dataclass(slots=True)
class Judged:
    """What one observation's facts say under one policy: what it matched
    and the findings its facts raise, computed once per observation version
    (``token``). A caller that keeps these across passes (one memo per site
    and policy, keyed by address) need not keep or re-parse the facts: a
    pass over an unchanged fleet only re-checks time (staleness, the
    agent's silence) and inventory. ``observation`` is the observation
    without its facts, device and findings (what the rest of reconcile
    reads), so a memo holds a few hundred bytes per camera, not the facts'
    several kilobytes. An entry whose token's facts version is still the
    observation's (a heartbeat moved only its time) keeps its judgement and
    takes the observation as given."""

    token: ObservationToken
    observation: CameraObservation
    match: Match
    unmatched: Finding | None
    """For a device that answered and matched nothing: ``unmatched_finding``."""
    device: tuple[Finding, ...]
    """``evaluate_for`` of its facts as of its time (empty without facts)."""
