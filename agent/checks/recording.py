"""Recording: 24 hours, every day (the policy's recording hours and its
equipment duty to check that recording is continuous).

``recording.not-recording``: the camera offers a Recording service and no
recording job on it is active (none at all counts: nothing writes footage).
A job is active when its reported state is Active or PartiallyActive; when
the state is unknown, its configured mode is used.

``recording.gap``: the newest footage (Search DataUntil, else the newest
recording's DataUntil) lags behind the camera's own clock by more than
``max_gap_minutes``. Footage is stamped by the camera, so the camera's time
is the right yardstick: a drifting clock is ``clock.drift``'s business, not
a gap. Exactly at the limit is compliant.
"""

from __future__ import annotations

from datetime import datetime

from agent.checks.subject import Subject
from schemas.facts import RecordingFacts, RecordingJobFact
from schemas.findings import Finding
from schemas.policy import RecordingPolicy

_ACTIVE_STATES = frozenset({"active", "partiallyactive"})


def job_active(job: RecordingJobFact) -> bool:
    """Whether the job writes footage now (state first, mode when state is unknown)."""
    if job.state is not None:
        return job.state.casefold() in _ACTIVE_STATES
    return job.mode.casefold() == "active"


def is_recording(recording: RecordingFacts) -> bool:
    """Whether any recording job is active."""
    return any(job_active(job) for job in recording.jobs)


def newest_footage(recording: RecordingFacts) -> datetime | None:
    """DataUntil of the summary, else the newest of the recordings', else None."""
    if recording.data_until is not None:
        return recording.data_until
    ends = [r.data_until for r in recording.recordings if r.data_until is not None]
    return max(ends) if ends else None


def check_recording(
    policy: RecordingPolicy | None,
    recording: RecordingFacts,
    camera_now: datetime,
    subject: Subject,
) -> list[Finding]:
    """Recording findings. With no policy only ``recording.not-recording`` is
    judged (PIPA's default expectation of continuous recording); the gap needs
    the policy's declared limit. A policy that does not require continuous
    recording raises neither."""
    if policy is not None and not policy.continuous:
        return []
    found: list[Finding] = []
    if not is_recording(recording):
        states = tuple(f"{job.token}:{job.state or job.mode}" for job in recording.jobs)
        detail = f"jobs {', '.join(states)}" if states else "no recording job configured"
        found.append(
            subject.finding(
                "recording.not-recording",
                f"no recording job is active ({detail}); continuous recording is required",
                {"recording_jobs": states, "recordings": len(recording.recordings)},
            )
        )
    if policy is None:
        return found
    until = newest_footage(recording)
    if until is not None:
        lag_minutes = (camera_now - until).total_seconds() / 60.0
        if lag_minutes > policy.max_gap_minutes:
            found.append(
                subject.finding(
                    "recording.gap",
                    f"the newest footage is {lag_minutes:.1f} minutes old on the camera's clock; "
                    f"the policy allows a gap of {policy.max_gap_minutes} minutes",
                    {
                        "data_until": until.isoformat(),
                        "camera_time": camera_now.isoformat(),
                        "lag_minutes": round(lag_minutes, 2),
                        "max_gap_minutes": policy.max_gap_minutes,
                    },
                )
            )
    return found
