"""evaluate_camera as a whole: scope per situation, subject fields, robustness."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.checks import evaluate_camera
from checks.factory import (
    NOW,
    camera_facts,
    clock_facts,
    device,
    make_policy,
    ptz_facts,
    recording_facts,
    rules,
    unknown_facts,
)
from schemas.facts import (
    AudioFacts,
    CameraFacts,
    ClockFacts,
    ObservedIdentity,
    PtzFacts,
    PtzPosition,
    PtzPresetFact,
    RecordingFact,
    RecordingFacts,
    RecordingJobFact,
    SecurityFacts,
    TrackFact,
)
from schemas.rules import CATALOG

POLICY = make_policy(equipment={"approved_vendors": ["Axis"]})
CAM1 = POLICY.sites[0].cameras[0]

EVERYTHING_WRONG = camera_facts(
    device_info=device(manufacturer="Acme"),
    audio=AudioFacts(sources=1, encoder_profiles=("main",)),
    ptz=ptz_facts(pan=0.9),
    recording=recording_facts(active=False, oldest_days=90, newest_minutes=600,
                              max_retention_days=0, audio_track=True),
    clock=clock_facts(offset_s=600, ntp=False),
    security=SecurityFacts(anonymous_access=True),
)


def test_compliant_camera_has_no_finding() -> None:
    assert evaluate_camera(POLICY, CAM1, camera_facts(device_info=device("Axis")), NOW) == ()


def test_unknown_facts_never_produce_a_finding() -> None:
    assert evaluate_camera(POLICY, CAM1, unknown_facts(), NOW) == ()
    assert evaluate_camera(POLICY, None, unknown_facts(), NOW) == ()
    assert evaluate_camera(None, None, unknown_facts(), NOW) == ()


@pytest.mark.parametrize(
    ("with_policy", "declared", "expected"),
    [
        pytest.param(True, True, [
            "audio.encoder-enabled", "audio.recorded", "clock.drift", "clock.no-ntp",
            "ptz.unapproved", "recording.gap", "recording.not-recording",
            "retention.configured-too-long", "retention.kept-too-long",
            "security.anonymous-access", "security.vendor-unapproved",
        ], id="declared-camera"),
        pytest.param(True, False, [
            "audio.encoder-enabled", "audio.recorded", "clock.drift", "clock.no-ntp",
            "ptz.unapproved", "recording.gap", "recording.not-recording",
            "retention.configured-too-long", "retention.kept-too-long",
            "security.anonymous-access", "security.vendor-unapproved",
        ], id="undeclared-device"),
        pytest.param(False, False, [
            "audio.encoder-enabled", "audio.recorded", "clock.drift", "clock.no-ntp",
            "recording.not-recording", "security.anonymous-access",
        ], id="no-policy"),
    ],
)
def test_scope(with_policy: bool, declared: bool, expected: list[str]) -> None:
    policy = POLICY if with_policy else None
    camera = CAM1 if declared else None
    assert rules(evaluate_camera(policy, camera, EVERYTHING_WRONG, NOW)) == expected


def test_findings_name_their_subject() -> None:
    found = evaluate_camera(POLICY, CAM1, EVERYTHING_WRONG, NOW, site_id="main")
    assert found
    for finding in found:
        assert (finding.site_id, finding.camera_id, finding.address) == (
            "main", "cam1", "127.0.0.1:8000")
        assert finding.key == ("main", "cam1", finding.rule)
        assert finding.severity == CATALOG[finding.rule].severity
        assert finding.legal_basis == CATALOG[finding.rule].legal_basis
        assert "\n" not in finding.summary


def test_undeclared_findings_are_keyed_by_address() -> None:
    found = evaluate_camera(POLICY, None, EVERYTHING_WRONG, NOW, site_id="main")
    assert {f.key[1] for f in found} == {"127.0.0.1:8000"}


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="now must be a timezone-aware datetime"):
        evaluate_camera(POLICY, CAM1, camera_facts(), datetime(2026, 3, 1, 12, 0))


def test_declared_camera_without_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="camera 'cam1' is declared, but no policy was given"):
        evaluate_camera(None, CAM1, camera_facts(), NOW)


# Robustness: any mix of known and unknown facts gives each rule at most once,
# only catalog rules, and no finding from a part that is unknown.

times = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(NOW.tzinfo)
)
maybe_float = st.none() | st.floats(-1, 1)
facts_strategy = st.builds(
    CameraFacts,
    identity=st.just(ObservedIdentity(address="127.0.0.1:80", serial="SN-0003")),
    device=st.none() | st.builds(device, st.sampled_from(["Axis", "Acme"])),
    audio=st.none() | st.builds(
        AudioFacts, sources=st.integers(0, 3),
        encoder_profiles=st.lists(st.sampled_from(["a", "b"]), max_size=2).map(tuple),
        source_profiles=st.lists(st.sampled_from(["a", "b"]), max_size=2).map(tuple)),
    ptz=st.none() | st.builds(
        PtzFacts, nodes=st.lists(st.just("n"), max_size=1).map(tuple),
        position=st.none() | st.builds(PtzPosition, pan=maybe_float, tilt=maybe_float,
                                       zoom=st.none() | st.floats(0, 1)),
        presets=st.lists(st.builds(PtzPresetFact, token=st.just("t"),
                                   name=st.sampled_from(["gate", "yard", "x"])),
                         max_size=3).map(tuple),
        moving=st.none() | st.booleans()),
    recording=st.none() | st.builds(
        RecordingFacts,
        recordings=st.lists(st.builds(
            RecordingFact, token=st.sampled_from(["r1", "r2"]),
            max_retention_seconds=st.none() | st.integers(-1, 400 * 86400),
            tracks=st.lists(st.builds(TrackFact, token=st.just("t"),
                                      type=st.sampled_from(["Video", "Audio", "Metadata"])),
                            max_size=2).map(tuple),
            data_from=st.none() | times, data_until=st.none() | times), max_size=2).map(tuple),
        jobs=st.lists(st.builds(
            RecordingJobFact, token=st.just("j"), recording_token=st.just("r1"),
            mode=st.sampled_from(["Active", "Idle"]),
            state=st.none() | st.sampled_from(["Active", "PartiallyActive", "Idle", "Error"])),
            max_size=2).map(tuple),
        data_from=st.none() | times, data_until=st.none() | times),
    clock=st.none() | st.builds(
        ClockFacts, observed_at=st.just(NOW),
        camera_utc=st.integers(-86400, 86400).map(lambda s: NOW + timedelta(seconds=s)),
        ntp=st.none() | st.booleans()),
    security=st.none() | st.builds(SecurityFacts, anonymous_access=st.none() | st.booleans()),
)

FAMILY_PART = {
    "audio.encoder-enabled": "audio", "audio.capable": "audio",
    "ptz.unapproved": "ptz", "ptz.off-preset": "ptz", "ptz.unapproved-preset": "ptz",
    "audio.recorded": "recording", "recording.not-recording": "recording",
    "recording.gap": "recording", "retention.configured-too-long": "recording",
    "retention.kept-too-long": "recording", "retention.kept-too-short": "recording",
    "clock.drift": "clock", "clock.no-ntp": "clock",
    "security.anonymous-access": "security", "security.vendor-unapproved": "device",
    "security.firmware-unapproved": "device",
}


@settings(max_examples=300, deadline=None)
@given(facts=facts_strategy, declared=st.sampled_from([None, 0, 2]), with_policy=st.booleans())
def test_any_facts(facts: CameraFacts, declared: int | None, with_policy: bool) -> None:
    policy = POLICY if with_policy else None
    camera = POLICY.sites[0].cameras[declared] if (declared is not None and policy) else None
    found = evaluate_camera(policy, camera, facts, NOW, site_id="main")
    ids = [f.rule for f in found]
    assert len(ids) == len(set(ids))
    for finding in found:
        assert finding.rule in FAMILY_PART
        assert getattr(facts, FAMILY_PART[finding.rule]) is not None
        assert finding.summary.strip()
