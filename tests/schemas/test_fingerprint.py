"""The fingerprint agent and controller share: what moves every audit does
not change it; what the device says does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from schemas.facts import CameraFacts, ClockFacts, DeviceInfo, ObservedIdentity
from schemas.fingerprint import observation_fingerprint
from schemas.messages import CameraHeartbeat, CameraObservation, HeartbeatEntry

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _observation(
    *, at: datetime = NOW, firmware: str = "1.0.0", offset_s: float = 0.2
) -> CameraObservation:
    facts = CameraFacts(
        identity=ObservedIdentity(address="127.0.0.1:1", serial="S1"),
        device=DeviceInfo(manufacturer="M", model="X", firmware=firmware, serial="S1"),
        clock=ClockFacts(
            camera_utc=at + timedelta(seconds=offset_s), observed_at=at, ntp=True, ntp_servers=()
        ),
    )
    return CameraObservation(address="127.0.0.1:1", reachable=True, observed_at=at, facts=facts)


def test_a_later_audit_of_the_same_device_has_the_same_fingerprint() -> None:
    later = _observation(at=NOW + timedelta(minutes=5), offset_s=0.3)
    assert observation_fingerprint(_observation()) == observation_fingerprint(later)


@pytest.mark.parametrize(
    "changed",
    [_observation(firmware="2.0.0"), _observation(offset_s=30.0)],
    ids=["firmware", "clock-offset"],
)
def test_what_the_device_says_changes_the_fingerprint(changed: CameraObservation) -> None:
    assert observation_fingerprint(changed) != observation_fingerprint(_observation())


def test_a_heartbeat_lists_at_least_one_camera_with_a_real_hash() -> None:
    common = {
        "report_id": "a" * 32, "agent_id": "a", "site_id": "s", "session_id": "b" * 32,
        "cycle_id": "c" * 32, "policy_id": "p", "policy_version": "1", "observed_at": NOW,
    }
    with pytest.raises(ValidationError):
        CameraHeartbeat(**common, cameras=())  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        HeartbeatEntry(address="x", reachable=True, facts_hash="nothex")
