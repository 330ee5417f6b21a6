"""Clock: timestamps are evidence and must be true (PIPA Art. 29, safeguards
against forgery and alteration).

``clock.drift``: the camera's UTC time differs from the agent's by more than
``max_drift_seconds`` (exactly at the limit is compliant). ``clock.no-ntp``:
the policy requires NTP and the camera reports a manual time setting; an
unknown setting raises nothing.
"""

from __future__ import annotations

from agent.checks.subject import Subject
from schemas.facts import ClockFacts
from schemas.findings import Finding
from schemas.policy import ClockPolicy


def check_clock(policy: ClockPolicy, clock: ClockFacts, subject: Subject) -> list[Finding]:
    """Clock findings for one camera (``ClockPolicy()`` defaults without a policy)."""
    found: list[Finding] = []
    offset = clock.offset_seconds
    if abs(offset) > policy.max_drift_seconds:
        direction = "ahead of" if offset > 0 else "behind"
        found.append(
            subject.finding(
                "clock.drift",
                f"the camera clock is {abs(offset):.1f} s {direction} true time; "
                f"the policy allows {policy.max_drift_seconds:g} s",
                {
                    "offset_s": round(offset, 3),
                    "max_drift_s": policy.max_drift_seconds,
                    "camera_utc": clock.camera_utc.isoformat(),
                    "observed_at": clock.observed_at.isoformat(),
                },
            )
        )
    if policy.ntp_required and clock.ntp is False:
        found.append(
            subject.finding(
                "clock.no-ntp",
                "the camera clock is set manually, not from NTP; the policy requires NTP",
                {"ntp": False, "ntp_servers": clock.ntp_servers, "ntp_required": True},
            )
        )
    return found
