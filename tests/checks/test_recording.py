"""Recording rules: 24 h continuous recording, gaps judged on the camera's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.checks import evaluate_camera
from checks.factory import NOW, camera_facts, clock_facts, make_policy, recording_facts, rules
from schemas.facts import CameraFacts, RecordingFact, RecordingFacts, RecordingJobFact
from schemas.policy import Policy

POLICY = make_policy()
CAM1 = POLICY.sites[0].cameras[0]


def recording_rules(facts: CameraFacts, policy: Policy | None = POLICY) -> list[str]:
    found = evaluate_camera(policy, CAM1 if policy else None, facts, NOW)
    return [r for r in rules(found) if r.startswith("recording")]


def job(mode: str, state: str | None) -> RecordingJobFact:
    return RecordingJobFact(token="j", recording_token="rec0", mode=mode, state=state)


def jobs(*items: RecordingJobFact) -> RecordingFacts:
    return recording_facts().model_copy(update={"jobs": items})


@pytest.mark.parametrize(
    ("recording", "expected"),
    [
        pytest.param(recording_facts(), [], id="recording"),
        pytest.param(None, [], id="recording-unknown"),
        pytest.param(recording_facts(active=False), ["recording.not-recording"], id="job-idle"),
        pytest.param(jobs(), ["recording.not-recording"], id="no-job"),
        pytest.param(jobs(job("Active", None)), [], id="state-unknown-mode-active"),
        pytest.param(jobs(job("Idle", None)), ["recording.not-recording"],
                     id="state-unknown-mode-idle"),
        pytest.param(jobs(job("Active", "PartiallyActive")), [], id="partially-active"),
        pytest.param(jobs(job("Active", "Error")), ["recording.not-recording"], id="job-error"),
        pytest.param(jobs(job("Active", "active")), [], id="state-lower-case"),
        pytest.param(jobs(job("Idle", "Idle"), job("Active", "Active")), [], id="one-of-two"),
        pytest.param(recording_facts(newest_minutes=10), [], id="gap-exactly-at-limit"),
        pytest.param(recording_facts(newest_minutes=10.01), ["recording.gap"], id="gap-beyond"),
        pytest.param(recording_facts(newest_minutes=None), [], id="newest-unknown"),
        pytest.param(recording_facts(active=False, newest_minutes=120),
                     ["recording.gap", "recording.not-recording"], id="stopped-two-hours-ago"),
    ],
)
def test_recording(recording: RecordingFacts | None, expected: list[str]) -> None:
    assert recording_rules(camera_facts(recording=recording)) == expected


def test_gap_is_judged_on_the_camera_clock() -> None:
    # The camera runs 30 minutes behind; its newest footage is one minute old
    # by its own clock, i.e. 31 minutes old by true time. No gap.
    offset = -1800.0
    camera_time = NOW + timedelta(seconds=offset)
    facts = camera_facts(
        recording=recording_facts(now=camera_time, newest_minutes=1),
        clock=clock_facts(offset_s=offset),
    )
    assert recording_rules(facts) == []


def test_gap_without_clock_uses_now() -> None:
    facts = camera_facts(recording=recording_facts(newest_minutes=31), clock=None)
    assert recording_rules(facts) == ["recording.gap"]


def test_gap_falls_back_to_the_newest_recording() -> None:
    summary_unknown = RecordingFacts(
        recordings=(
            RecordingFact(token="a", data_until=NOW - timedelta(minutes=40)),
            RecordingFact(token="b", data_until=NOW - timedelta(minutes=20)),
        ),
        jobs=(job("Active", "Active"),),
    )
    found = evaluate_camera(POLICY, CAM1, camera_facts(recording=summary_unknown), NOW)
    (gap,) = [f for f in found if f.rule == "recording.gap"]
    assert gap.evidence["lag_minutes"] == 20.0
    assert gap.evidence["max_gap_minutes"] == 10


def test_policy_not_requiring_continuous_recording() -> None:
    policy = make_policy(recording={"continuous": False})
    facts = camera_facts(recording=recording_facts(active=False, newest_minutes=600))
    assert recording_rules(facts, policy) == []


def test_without_policy_only_not_recording_is_judged() -> None:
    facts = camera_facts(recording=recording_facts(active=False, newest_minutes=600))
    assert recording_rules(facts, None) == ["recording.not-recording"]


def test_not_recording_summary_lists_the_jobs() -> None:
    facts = camera_facts(recording=recording_facts(active=False))
    found = evaluate_camera(POLICY, CAM1, facts, NOW)
    (finding,) = [f for f in found if f.rule == "recording.not-recording"]
    assert finding.summary == (
        "no recording job is active (jobs job0:Idle); continuous recording is required"
    )
    assert finding.evidence["recording_jobs"] == ("job0:Idle",)
