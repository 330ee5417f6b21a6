"""Audio rules (PIPA Art. 25(5)): one row per situation."""

from __future__ import annotations

import json

import pytest

from agent.checks import evaluate_camera
from checks.factory import NOW, camera_facts, make_policy, policy_data, recording_facts, rules
from schemas.facts import AudioFacts, CameraFacts
from schemas.policy import Policy

POLICY = make_policy()
CAM1 = POLICY.sites[0].cameras[0]


def audio_rules(facts: CameraFacts, policy: Policy | None = POLICY) -> list[str]:
    camera = CAM1 if policy is not None else None
    return [r for r in rules(evaluate_camera(policy, camera, facts, NOW)) if r.startswith("audio")]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(camera_facts(), [], id="no-audio-compliant"),
        pytest.param(camera_facts(audio=None), [], id="audio-unknown"),
        pytest.param(
            camera_facts(audio=AudioFacts(sources=1, encoder_profiles=("main",))),
            ["audio.encoder-enabled"], id="encoder-on-profile",
        ),
        pytest.param(
            camera_facts(recording=recording_facts(audio_track=True)),
            ["audio.recorded"], id="audio-track-recorded",
        ),
        pytest.param(
            camera_facts(audio=AudioFacts(sources=1)), ["audio.capable"], id="input-not-in-use",
        ),
        pytest.param(
            camera_facts(audio=AudioFacts(sources=0, source_profiles=("main",))),
            ["audio.capable"], id="source-configured-no-encoder",
        ),
        pytest.param(
            camera_facts(
                audio=AudioFacts(sources=1, encoder_profiles=("main",)),
                recording=recording_facts(audio_track=True),
            ),
            ["audio.encoder-enabled", "audio.recorded"], id="in-use-hides-capable",
        ),
    ],
)
def test_audio_forbidden(facts: CameraFacts, expected: list[str]) -> None:
    assert audio_rules(facts) == expected


def test_summary_names_the_profile() -> None:
    facts = camera_facts(audio=AudioFacts(sources=1, encoder_profiles=("main",)))
    (finding,) = evaluate_camera(POLICY, CAM1, facts, NOW)
    assert finding.summary == "profile 'main' carries an audio encoder; the policy forbids audio"
    assert finding.evidence == {"encoder_profiles": ("main",), "audio_rule": "forbidden"}


LOUD = camera_facts(
    audio=AudioFacts(sources=1, encoder_profiles=("main",)),
    recording=recording_facts(audio_track=True),
)


def test_policy_allowing_audio_raises_nothing() -> None:
    assert audio_rules(LOUD, make_policy(audio="allowed")) == []


def test_camera_override_allows_audio() -> None:
    data = policy_data()
    data["sites"][0]["cameras"][0]["audio"] = "allowed"
    policy = Policy.model_validate_json(json.dumps(data))
    found = evaluate_camera(policy, policy.sites[0].cameras[0], LOUD, NOW)
    assert [f for f in found if f.rule.startswith("audio")] == []


def test_camera_override_forbids_where_policy_allows() -> None:
    data = policy_data()
    data["audio"] = "allowed"
    data["sites"][0]["cameras"][0]["audio"] = "forbidden"
    policy = Policy.model_validate_json(json.dumps(data))
    found = evaluate_camera(policy, policy.sites[0].cameras[0], LOUD, NOW)
    assert rules([f for f in found if f.rule.startswith("audio")]) == [
        "audio.encoder-enabled", "audio.recorded",
    ]


def test_no_policy_forbids_audio_by_default() -> None:
    assert audio_rules(LOUD, None) == ["audio.encoder-enabled", "audio.recorded"]
