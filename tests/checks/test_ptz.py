"""PTZ rules (no arbitrary manipulation, PIPA Art. 25(5)).

cam1 has no PTZ approval; cam3 is approved with presets 'gate' (home, pan
0.25 tilt -0.1 zoom 0) and 'yard', tolerance 0.02.
"""

from __future__ import annotations

import pytest

from agent.checks import evaluate_camera
from checks.factory import NOW, camera_facts, make_policy, ptz_facts, rules
from schemas.facts import CameraFacts, PtzFacts, PtzPosition

POLICY = make_policy()
CAM1, _, CAM3 = POLICY.sites[0].cameras


def ptz_rules(facts: CameraFacts, camera: object = CAM3) -> list[str]:
    found = evaluate_camera(POLICY, camera, facts, NOW)  # type: ignore[arg-type]
    return [r for r in rules(found) if r.startswith("ptz")]


@pytest.mark.parametrize(
    ("ptz", "expected"),
    [
        pytest.param(ptz_facts(), [], id="at-home"),
        pytest.param(None, [], id="ptz-unknown"),
        pytest.param(PtzFacts(nodes=()), [], id="no-ptz-node"),
        pytest.param(ptz_facts(pan=0.27), [], id="pan-exactly-at-tolerance"),
        pytest.param(ptz_facts(pan=0.23, tilt=-0.12, zoom=0.02), [], id="all-axes-at-tolerance"),
        pytest.param(ptz_facts(pan=0.2701), ["ptz.off-preset"], id="pan-just-beyond"),
        pytest.param(ptz_facts(tilt=0.5), ["ptz.off-preset"], id="tilt-away"),
        pytest.param(ptz_facts(zoom=0.5), ["ptz.off-preset"], id="zoomed-in"),
        pytest.param(ptz_facts(pan=-0.5, tilt=0.0), ["ptz.off-preset"], id="at-other-preset"),
        pytest.param(ptz_facts(pan=None, tilt=None, zoom=None), [], id="position-axes-unknown"),
        pytest.param(ptz_facts(pan=0.9, tilt=None, zoom=None), ["ptz.off-preset"],
                     id="pan-only-known-away"),
        pytest.param(PtzFacts(nodes=("ptz0",)), [], id="position-unknown"),
        pytest.param(ptz_facts(presets=("gate", "yard")), [], id="approved-presets"),
        pytest.param(ptz_facts(presets=("gate", "neighbour window")),
                     ["ptz.unapproved-preset"], id="unapproved-preset"),
        pytest.param(ptz_facts(pan=0.9, presets=("x",)),
                     ["ptz.off-preset", "ptz.unapproved-preset"], id="off-and-unapproved"),
    ],
)
def test_approved_camera(ptz: PtzFacts | None, expected: list[str]) -> None:
    assert ptz_rules(camera_facts(serial="SN-0003", ptz=ptz)) == expected


@pytest.mark.parametrize(
    ("ptz", "expected"),
    [
        pytest.param(PtzFacts(nodes=()), [], id="fixed-camera"),
        pytest.param(ptz_facts(), ["ptz.unapproved"], id="ptz-node"),
        pytest.param(ptz_facts(pan=0.9, presets=("x",)), ["ptz.unapproved"],
                     id="only-unapproved-nothing-more"),
    ],
)
def test_camera_without_ptz_approval(ptz: PtzFacts, expected: list[str]) -> None:
    assert ptz_rules(camera_facts(ptz=ptz), CAM1) == expected


def test_undeclared_device_has_no_ptz_approval() -> None:
    found = evaluate_camera(POLICY, None, camera_facts(serial="SN-X", ptz=ptz_facts()), NOW)
    (finding,) = [f for f in found if f.rule.startswith("ptz")]
    assert finding.rule == "ptz.unapproved"
    assert "undeclared camera" in finding.summary


def test_no_policy_judges_no_ptz() -> None:
    found = evaluate_camera(None, None, camera_facts(ptz=ptz_facts(pan=0.9)), NOW)
    assert [f for f in found if f.rule.startswith("ptz")] == []


def test_off_preset_evidence_names_observed_and_declared() -> None:
    facts = camera_facts(serial="SN-0003", ptz=ptz_facts(pan=0.5))
    (finding,) = evaluate_camera(POLICY, CAM3, facts, NOW)
    assert finding.evidence["observed_pan"] == 0.5
    assert finding.evidence["declared_pan"] == 0.25
    assert finding.evidence["deviation"] == 0.25
    assert finding.evidence["tolerance"] == 0.02
    assert "home preset 'gate'" in finding.summary


def test_moving_camera_is_reported_with_its_motion() -> None:
    ptz = PtzFacts(nodes=("ptz0",), position=PtzPosition(pan=0.0, tilt=0.0, zoom=0.0), moving=True)
    found = evaluate_camera(POLICY, CAM3, camera_facts(serial="SN-0003", ptz=ptz), NOW)
    (finding,) = [f for f in found if f.rule == "ptz.off-preset"]
    assert finding.evidence["moving"] is True
