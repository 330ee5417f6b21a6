"""Retention rules: declared 30 days, tolerance 1 day, ages on the camera's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.checks import evaluate_camera
from checks.factory import NOW, camera_facts, clock_facts, make_policy, recording_facts, rules
from schemas.facts import CameraFacts, RecordingFact, RecordingFacts, RecordingJobFact
from schemas.policy import Policy

POLICY = make_policy()
CAM1 = POLICY.sites[0].cameras[0]
SECOND = 1 / 86400


def retention_rules(facts: CameraFacts, policy: Policy | None = POLICY) -> list[str]:
    found = evaluate_camera(policy, CAM1 if policy else None, facts, NOW)
    return [r for r in rules(found) if r.startswith("retention")]


@pytest.mark.parametrize(
    ("recording", "expected"),
    [
        pytest.param(recording_facts(), [], id="thirty-days"),
        pytest.param(recording_facts(max_retention_days=31), [], id="configured-at-tolerance"),
        pytest.param(recording_facts(max_retention_days=31 + SECOND),
                     ["retention.configured-too-long"], id="configured-a-second-beyond"),
        pytest.param(recording_facts(max_retention_days=0),
                     ["retention.configured-too-long"], id="configured-unlimited"),
        pytest.param(recording_facts(max_retention_days=None), [], id="configured-unknown"),
        pytest.param(recording_facts(oldest_days=31), [], id="kept-exactly-at-tolerance"),
        pytest.param(recording_facts(oldest_days=31 + SECOND), ["retention.kept-too-long"],
                     id="kept-a-second-too-long"),
        pytest.param(recording_facts(oldest_days=45.2), ["retention.kept-too-long"],
                     id="kept-45-days"),
        pytest.param(recording_facts(oldest_days=29), [], id="young-exactly-at-tolerance"),
        pytest.param(recording_facts(oldest_days=29 - SECOND), ["retention.kept-too-short"],
                     id="lost-a-second-early"),
        pytest.param(recording_facts(oldest_days=3), ["retention.kept-too-short"],
                     id="lost-after-three-days"),
        pytest.param(recording_facts(oldest_days=3, active=False), [],
                     id="young-but-not-recording"),
        pytest.param(recording_facts(oldest_days=None), [], id="oldest-unknown"),
        pytest.param(None, [], id="recording-unknown"),
    ],
)
def test_retention(recording: RecordingFacts | None, expected: list[str]) -> None:
    assert retention_rules(camera_facts(recording=recording)) == expected


def test_kept_too_long_evidence_and_summary() -> None:
    facts = camera_facts(recording=recording_facts(oldest_days=45.2))
    (finding,) = [f for f in evaluate_camera(POLICY, CAM1, facts, NOW)
                  if f.rule == "retention.kept-too-long"]
    assert finding.evidence["observed_days"] == 45.2
    assert finding.evidence["declared_days"] == 30
    assert finding.evidence["tolerance_days"] == 1
    assert finding.summary == (
        "the oldest footage is 45.2 days old; the policy declares 30 days (tolerance 1)"
    )


def test_unlimited_retention_evidence() -> None:
    facts = camera_facts(recording=recording_facts(max_retention_days=0))
    (finding,) = [f for f in evaluate_camera(POLICY, CAM1, facts, NOW)
                  if f.rule == "retention.configured-too-long"]
    assert finding.evidence["unlimited"] is True
    assert finding.evidence["configured_days"] is None
    assert "without limit" in finding.summary


def test_worst_of_several_recordings_is_reported() -> None:
    recording = RecordingFacts(
        recordings=(
            RecordingFact(token="a", max_retention_seconds=40 * 86400),
            RecordingFact(token="b", max_retention_seconds=60 * 86400),
            RecordingFact(token="c", max_retention_seconds=30 * 86400),
        ),
        jobs=(RecordingJobFact(token="j", recording_token="a", mode="Active", state="Active"),),
    )
    (finding,) = [f for f in evaluate_camera(POLICY, CAM1, camera_facts(recording=recording), NOW)
                  if f.rule == "retention.configured-too-long"]
    assert finding.evidence["recordings"] == ("a", "b")
    assert finding.evidence["configured_days"] == 60.0


def test_age_is_judged_on_the_camera_clock() -> None:
    # The camera runs two days ahead: footage stamped 30 days before the
    # camera's now is 30 days old, not 28.
    offset = 2 * 86400.0
    camera_time = NOW + timedelta(seconds=offset)
    facts = camera_facts(
        recording=recording_facts(now=camera_time, oldest_days=30),
        clock=clock_facts(offset_s=offset),
    )
    assert retention_rules(facts) == []


def test_oldest_falls_back_to_the_recordings() -> None:
    recording = RecordingFacts(
        recordings=(
            RecordingFact(token="a", data_from=NOW - timedelta(days=50)),
            RecordingFact(token="b", data_from=NOW - timedelta(days=20)),
        ),
        jobs=(RecordingJobFact(token="j", recording_token="a", mode="Active", state="Active"),),
    )
    assert retention_rules(camera_facts(recording=recording)) == ["retention.kept-too-long"]


def test_shorter_policy_retention() -> None:
    policy = make_policy(retention={"days": 10, "tolerance_days": 0})
    facts = camera_facts(recording=recording_facts(oldest_days=10.5, max_retention_days=10))
    assert retention_rules(facts, policy) == ["retention.kept-too-long"]


def test_no_policy_judges_no_retention() -> None:
    facts = camera_facts(recording=recording_facts(oldest_days=400, max_retention_days=0))
    assert retention_rules(facts, None) == []
