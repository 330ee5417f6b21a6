"""Plain-data builders for the pure cores' tests: a small policy and a camera
whose facts are compliant with it, each part changeable by keyword.

Addresses are loopback (127.0.0.0/8) even though nothing is contacted.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.facts import (
    AudioFacts,
    CameraFacts,
    ClockFacts,
    DeviceInfo,
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
from schemas.policy import Policy

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

BASE_POLICY: dict[str, Any] = {
    "schema_version": 1,
    "policy_id": "test-office",
    "version": "2026-01-01",
    "effective_from": "2026-01-01",
    "organisation": {"name": "Test Office"},
    "legal_basis": ["PIPA Art. 25(1)1"],
    "purposes": ["facility-safety", "crime-prevention"],
    "recording": {"continuous": True, "max_gap_minutes": 10},
    "audio": "forbidden",
    "retention": {"days": 30, "tolerance_days": 1},
    "clock": {"max_drift_seconds": 5},
    "roles": [{"role": "responsible-manager", "title": "head of general affairs"}],
    "sites": [
        {
            "id": "main",
            "name": "Main building",
            "storage_place": "server room",
            "cameras": [
                {"id": "cam1", "name": "Cam1", "location": "1F lobby", "coverage": "lobby",
                 "identity": {"serial": "SN-0001"}},
                {"id": "cam2", "name": "Cam2", "location": "car park", "coverage": "entrance",
                 "identity": {"serial": "SN-0002", "address": "127.0.0.2:8000"}},
                {"id": "cam3", "name": "Cam3", "location": "outer wall", "coverage": "front gate",
                 "identity": {"serial": "SN-0003"},
                 "ptz": {"approved": True, "home_preset": "gate",
                         "presets": [{"name": "gate", "pan": 0.25, "tilt": -0.1, "zoom": 0.0},
                                     {"name": "yard", "pan": -0.5, "tilt": 0.0}]}},
            ],
            "foreign_cameras": [
                {"owner": "building management office", "location": "roof",
                 "identity": {"address": "127.0.0.9"}},
            ],
        },
        {
            "id": "annex",
            "name": "Annex",
            "storage_place": "security office",
            "cameras": [
                {"id": "annex-cam1", "name": "Cam1", "location": "annex entrance",
                 "coverage": "entrance", "identity": {"serial": "SN-0101"}},
            ],
        },
    ],
}


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def make_policy(**changes: Any) -> Policy:
    """The base policy with top-level parts changed (dicts are merged)."""
    return Policy.model_validate_json(json.dumps(_merge(BASE_POLICY, changes)))


def policy_data() -> dict[str, Any]:
    """A deep copy of the base policy's data, to edit freely."""
    return copy.deepcopy(BASE_POLICY)


def recording_facts(
    *,
    now: datetime = NOW,
    active: bool = True,
    oldest_days: float | None = 30.0,
    newest_minutes: float | None = 1.0,
    max_retention_days: float | None = 30.0,
    audio_track: bool = False,
) -> RecordingFacts:
    """One recording and one job; footage from ``oldest_days`` ago to
    ``newest_minutes`` ago (camera time = ``now``)."""
    tracks = (TrackFact(token="video", type="Video"),)
    if audio_track:
        tracks += (TrackFact(token="audio", type="Audio"),)
    return RecordingFacts(
        recordings=(
            RecordingFact(
                token="rec0",
                max_retention_seconds=(
                    None if max_retention_days is None else int(max_retention_days * 86400)
                ),
                tracks=tracks,
            ),
        ),
        jobs=(
            RecordingJobFact(
                token="job0", recording_token="rec0",
                mode="Active" if active else "Idle", state="Active" if active else "Idle",
            ),
        ),
        data_from=None if oldest_days is None else now - timedelta(days=oldest_days),
        data_until=None if newest_minutes is None else now - timedelta(minutes=newest_minutes),
    )


def clock_facts(
    *, now: datetime = NOW, offset_s: float = 0.0, ntp: bool | None = True
) -> ClockFacts:
    return ClockFacts(
        observed_at=now,
        camera_utc=now + timedelta(seconds=offset_s),
        ntp=ntp,
        ntp_servers=("127.0.0.53",) if ntp else (),
    )


def ptz_facts(
    *,
    pan: float | None = 0.25,
    tilt: float | None = -0.1,
    zoom: float | None = 0.0,
    presets: tuple[str, ...] = ("gate",),
) -> PtzFacts:
    return PtzFacts(
        nodes=("ptz0",),
        position=PtzPosition(pan=pan, tilt=tilt, zoom=zoom),
        presets=tuple(PtzPresetFact(token=f"p{i}", name=n) for i, n in enumerate(presets)),
        moving=False,
    )


def device(
    manufacturer: str = "Hanwha Vision", model: str = "XNO-6080R", firmware: str = "2.21.00",
    serial: str = "SN-0001",
) -> DeviceInfo:
    return DeviceInfo(manufacturer=manufacturer, model=model, firmware=firmware, serial=serial)


_DEFAULT = object()


def camera_facts(
    *,
    address: str = "127.0.0.1:8000",
    serial: str | None = "SN-0001",
    macs: tuple[str, ...] = (),
    endpoint_reference: str | None = None,
    now: datetime = NOW,
    device_info: Any = _DEFAULT,
    audio: Any = _DEFAULT,
    ptz: Any = _DEFAULT,
    recording: Any = _DEFAULT,
    clock: Any = _DEFAULT,
    security: Any = _DEFAULT,
) -> CameraFacts:
    """Facts of a camera compliant with the base policy (as cam1, no PTZ).
    Pass ``None`` for a part to make it unknown, or a model to replace it."""

    def pick(value: Any, default: Any) -> Any:
        return default if value is _DEFAULT else value

    return CameraFacts(
        identity=ObservedIdentity(
            address=address, serial=serial, macs=macs, endpoint_reference=endpoint_reference
        ),
        device=pick(device_info, device(serial=serial or "unknown")),
        audio=pick(audio, AudioFacts(sources=0)),
        ptz=pick(ptz, PtzFacts(nodes=())),
        recording=pick(recording, recording_facts(now=now)),
        clock=pick(clock, clock_facts(now=now)),
        security=pick(security, SecurityFacts(anonymous_access=False, auth_scheme="ws-security")),
    )


def unknown_facts(address: str = "127.0.0.1:8000", serial: str | None = None) -> CameraFacts:
    """Facts where everything but the identity is unknown."""
    return CameraFacts(identity=ObservedIdentity(address=address, serial=serial))


def rules(findings: tuple[Any, ...] | list[Any]) -> list[str]:
    """The rule ids of ``findings``, sorted."""
    return sorted(f.rule for f in findings)
