"""Clock and security rules (PIPA Art. 29)."""

from __future__ import annotations

import pytest

from agent.checks import evaluate_camera
from checks.factory import NOW, camera_facts, clock_facts, device, make_policy, rules
from schemas.facts import CameraFacts, ClockFacts, DeviceInfo, SecurityFacts
from schemas.policy import Policy

POLICY = make_policy()
CAM1 = POLICY.sites[0].cameras[0]


def family(facts: CameraFacts, prefix: str, policy: Policy | None = POLICY) -> list[str]:
    found = evaluate_camera(policy, CAM1 if policy else None, facts, NOW)
    return [r for r in rules(found) if r.startswith(prefix)]


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        pytest.param(clock_facts(), [], id="on-time"),
        pytest.param(None, [], id="clock-unknown"),
        pytest.param(clock_facts(offset_s=5.0), [], id="ahead-exactly-at-limit"),
        pytest.param(clock_facts(offset_s=-5.0), [], id="behind-exactly-at-limit"),
        pytest.param(clock_facts(offset_s=5.001), ["clock.drift"], id="ahead-beyond"),
        pytest.param(clock_facts(offset_s=-3600), ["clock.drift"], id="an-hour-behind"),
        pytest.param(clock_facts(ntp=False), ["clock.no-ntp"], id="manual-time"),
        pytest.param(clock_facts(ntp=None), [], id="ntp-unknown"),
        pytest.param(clock_facts(offset_s=90, ntp=False), ["clock.drift", "clock.no-ntp"],
                     id="drift-and-manual"),
    ],
)
def test_clock(clock: ClockFacts | None, expected: list[str]) -> None:
    assert family(camera_facts(clock=clock), "clock") == expected


def test_drift_summary_and_evidence() -> None:
    found = evaluate_camera(POLICY, CAM1, camera_facts(clock=clock_facts(offset_s=-12.3)), NOW)
    (finding,) = found
    assert finding.summary == "the camera clock is 12.3 s behind true time; the policy allows 5 s"
    assert finding.evidence["offset_s"] == -12.3
    assert finding.evidence["max_drift_s"] == 5.0


def test_policy_tolerating_more_drift_and_no_ntp() -> None:
    policy = make_policy(clock={"max_drift_seconds": 120, "ntp_required": False})
    facts = camera_facts(clock=clock_facts(offset_s=100, ntp=False))
    assert family(facts, "clock", policy) == []


def test_no_policy_uses_clock_defaults() -> None:
    facts = camera_facts(clock=clock_facts(offset_s=6, ntp=False))
    assert family(facts, "clock", None) == ["clock.drift", "clock.no-ntp"]


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        pytest.param(SecurityFacts(anonymous_access=False), [], id="authenticated"),
        pytest.param(SecurityFacts(anonymous_access=None), [], id="unknown"),
        pytest.param(None, [], id="security-unknown"),
        pytest.param(SecurityFacts(anonymous_access=True, auth_scheme="none"),
                     ["security.anonymous-access"], id="anonymous"),
    ],
)
def test_anonymous_access(security: SecurityFacts | None, expected: list[str]) -> None:
    assert family(camera_facts(security=security), "security") == expected


def test_anonymous_access_without_policy() -> None:
    facts = camera_facts(security=SecurityFacts(anonymous_access=True))
    assert family(facts, "security", None) == ["security.anonymous-access"]


def test_policy_not_requiring_authentication() -> None:
    policy = make_policy(equipment={"require_authentication": False})
    facts = camera_facts(security=SecurityFacts(anonymous_access=True))
    assert family(facts, "security", policy) == []


EQUIPMENT = make_policy(
    equipment={
        "approved_vendors": ["Hanwha Vision", "Axis"],
        "approved_firmware": [
            {"manufacturer": "Hanwha Vision", "model": "XNO-6080R", "versions": ["2.21.00"]},
            {"manufacturer": "Hanwha Vision", "model": "QNO-6012R", "versions": []},
            {"manufacturer": "axis", "versions": ["11.8.64", "11.9.60"]},
        ],
    }
)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        pytest.param(device(), [], id="approved-model-and-version"),
        pytest.param(device(manufacturer=" hanwha vision "), [], id="vendor-case-and-space"),
        pytest.param(device(firmware="2.20.00"), ["security.firmware-unapproved"],
                     id="old-firmware"),
        pytest.param(device(model="QNO-6012R", firmware="anything"), [], id="any-version-model"),
        pytest.param(device(model="XNV-9999", firmware="2.21.00"),
                     ["security.firmware-unapproved"], id="model-without-entry"),
        pytest.param(device(manufacturer="AXIS", model="P3265", firmware="11.9.60"), [],
                     id="vendor-wide-entry"),
        pytest.param(device(manufacturer="Axis", model="P3265", firmware="10.0"),
                     ["security.firmware-unapproved"], id="vendor-wide-old"),
        pytest.param(device(manufacturer="Acme", model="X1", firmware="1.0"),
                     ["security.firmware-unapproved", "security.vendor-unapproved"],
                     id="unknown-vendor"),
        pytest.param(None, [], id="device-unknown"),
    ],
)
def test_equipment(info: DeviceInfo | None, expected: list[str]) -> None:
    assert family(camera_facts(device_info=info), "security", EQUIPMENT) == expected


def test_empty_lists_approve_everything() -> None:
    facts = camera_facts(device_info=device(manufacturer="Acme", firmware="0.0.1"))
    assert family(facts, "security") == []


def test_no_policy_judges_no_equipment() -> None:
    facts = camera_facts(device_info=device(manufacturer="Acme", firmware="0.0.1"))
    assert family(facts, "security", None) == []


def test_vendor_summary_names_the_list() -> None:
    facts = camera_facts(device_info=device(manufacturer="Acme", model="X1", firmware="1.0"))
    found = evaluate_camera(EQUIPMENT, CAM1, facts, NOW)
    (vendor,) = [f for f in found if f.rule == "security.vendor-unapproved"]
    assert vendor.summary == (
        "manufacturer 'Acme' is not among the approved vendors (Hanwha Vision, Axis)"
    )
    (firmware,) = [f for f in found if f.rule == "security.firmware-unapproved"]
    assert firmware.evidence["approved_firmware"] == ()
