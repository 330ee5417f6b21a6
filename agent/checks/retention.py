"""Retention: footage is kept for the declared period and destroyed after it
(PIPA Art. 21(1), 25(7); the policy's own retention article).

``retention.configured-too-long``: a recording's MaximumRetentionTime is
longer than ``days + tolerance_days``, or zero (unlimited).

``retention.kept-too-long``: the oldest footage (Search DataFrom, else the
oldest recording's DataFrom) is older than ``days + tolerance_days`` on the
camera's clock.

``retention.kept-too-short``: while the camera is recording, the oldest
footage is younger than ``days - tolerance_days``: evidence was lost before
its time (overwritten for lack of space, deleted by hand). A camera that is
not recording is ``recording.not-recording``'s business instead.

Ages are in days of 86,400 s; exactly at a bound is compliant.
"""

from __future__ import annotations

from datetime import datetime

from agent.checks.recording import is_recording
from agent.checks.subject import Subject, days
from schemas.facts import RecordingFacts
from schemas.findings import EvidenceValue, Finding
from schemas.policy import RetentionPolicy


def oldest_footage(recording: RecordingFacts) -> datetime | None:
    """DataFrom of the summary, else the oldest of the recordings', else None."""
    if recording.data_from is not None:
        return recording.data_from
    starts = [r.data_from for r in recording.recordings if r.data_from is not None]
    return min(starts) if starts else None


def check_retention(
    policy: RetentionPolicy, recording: RecordingFacts, camera_now: datetime, subject: Subject
) -> list[Finding]:
    """Retention findings for one camera under the policy's retention."""
    found: list[Finding] = []
    configured = _configured_too_long(policy, recording)
    if configured is not None:
        tokens, worst_days = configured
        shown = "without limit" if worst_days is None else f"{worst_days:g} days"
        found.append(
            subject.finding(
                "retention.configured-too-long",
                f"recording(s) {', '.join(repr(t) for t in tokens)} set to keep footage {shown}; "
                f"the policy declares {policy.days} days",
                {
                    "recordings": tokens,
                    "configured_days": worst_days,
                    "unlimited": worst_days is None,
                    "declared_days": policy.days,
                    "tolerance_days": policy.tolerance_days,
                },
            )
        )
    oldest = oldest_footage(recording)
    if oldest is None:
        return found
    age_days = (camera_now - oldest).total_seconds() / 86400.0
    if age_days > policy.days + policy.tolerance_days:
        found.append(
            subject.finding(
                "retention.kept-too-long",
                f"the oldest footage is {age_days:.1f} days old; the policy declares "
                f"{policy.days} days (tolerance {policy.tolerance_days})",
                _age_evidence(policy, oldest, camera_now, age_days),
            )
        )
    elif age_days < policy.days - policy.tolerance_days and is_recording(recording):
        found.append(
            subject.finding(
                "retention.kept-too-short",
                f"the oldest footage is only {age_days:.1f} days old while recording; "
                f"the policy keeps {policy.days} days (tolerance {policy.tolerance_days})",
                _age_evidence(policy, oldest, camera_now, age_days),
            )
        )
    return found


def _age_evidence(
    policy: RetentionPolicy, oldest: datetime, camera_now: datetime, age_days: float
) -> dict[str, EvidenceValue]:
    return {
        "data_from": oldest.isoformat(),
        "camera_time": camera_now.isoformat(),
        "observed_days": round(age_days, 2),
        "declared_days": policy.days,
        "tolerance_days": policy.tolerance_days,
    }


def _configured_too_long(
    policy: RetentionPolicy, recording: RecordingFacts
) -> tuple[tuple[str, ...], float | None] | None:
    """Offending recording tokens and the worst configured days (None:
    unlimited), or None when every known setting is within the bound."""
    limit_s = (policy.days + policy.tolerance_days) * 86400
    tokens: list[str] = []
    worst: float | None = 0.0
    for rec in recording.recordings:
        seconds = rec.max_retention_seconds
        if seconds is None or seconds < 0:
            continue
        if seconds == 0:
            tokens.append(rec.token)
            worst = None
        elif seconds > limit_s:
            tokens.append(rec.token)
            if worst is not None:
                worst = max(worst, days(seconds))
    if not tokens:
        return None
    return tuple(tokens), worst
