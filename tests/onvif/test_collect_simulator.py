"""collect() against the simulator: real ONVIF SOAP 1.2 with WS-Security
PasswordDigest checked against the camera's own clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.onvif import Collected, Credentials, OnvifClient
from schemas.facts import CameraFacts, PtzPosition, TrackFact
from simulator.camera import DAY_S, SimCamera, SimPreset, SimPtz
from simulator.server import SimulatedFleet

GOOD = Credentials("admin", "s3cret")


async def collect_one(onvif: OnvifClient, camera: SimCamera,
                      credentials: Credentials | None = GOOD) -> Collected:
    async with SimulatedFleet([camera]) as fleet:
        return await onvif.collect(fleet.endpoints[0].address, credentials)


def facts_of(collected: Collected) -> CameraFacts:
    assert collected.facts is not None, collected.errors
    return collected.facts


async def test_compliant_camera_gives_every_fact(onvif: OnvifClient, sim_camera) -> None:
    camera = sim_camera()
    async with SimulatedFleet([camera]) as fleet:
        address = fleet.endpoints[0].address
        collected = await onvif.collect(address, GOOD)
    facts = facts_of(collected)
    assert (collected.address, collected.reachable, collected.errors) == (address, True, ())
    assert facts.identity.model_dump() == {
        "address": address, "serial": "SER-1", "macs": (camera.mac,),
        "endpoint_reference": camera.endpoint_reference}
    assert facts.device is not None and facts.device.model_dump() == {
        "manufacturer": "Acme", "model": "X1", "firmware": "1.0.0", "serial": "SER-1",
        "hardware_id": "HW-1"}
    assert facts.audio is not None and facts.audio.model_dump() == {
        "sources": 0, "encoder_profiles": (), "source_profiles": ()}
    assert facts.ptz is not None and facts.ptz.nodes == ()
    assert facts.security is not None and facts.security.model_dump() == {
        "anonymous_access": False, "auth_scheme": "ws-security", "tls": False}
    assert facts.clock is not None and facts.clock.ntp is True
    assert facts.clock.ntp_servers == ("127.0.0.1",)
    assert abs(facts.clock.offset_seconds) < 2
    recording = facts.recording
    assert recording is not None
    assert [(r.token, r.max_retention_seconds, r.tracks) for r in recording.recordings] == [
        ("rec_1", 30 * DAY_S, (TrackFact(token="VIDEO001", type="Video"),))]
    assert [(j.recording_token, j.mode, j.state) for j in recording.jobs] == [
        ("rec_1", "Active", "Active")]
    assert recording.data_from is not None and recording.data_until is not None
    assert recording.data_until - recording.data_from == pytest.approx(
        timedelta(days=30), abs=timedelta(seconds=2))
    assert recording.recordings[0].data_until is not None


def _ptz_camera() -> dict[str, Any]:
    return {"ptz": SimPtz(pan=0.5, tilt=-0.25, zoom=0.75,
                          presets=[SimPreset("preset_1", "door", 0.0, 0.0, 0.0)])}


DEVIATIONS: list[tuple[str, dict[str, Any], Callable[[CameraFacts], object], object]] = [
    ("audio-streamed", {"audio_encoder": True},
     lambda f: (f.audio.encoder_profiles, f.audio.source_profiles),
     (("profile_1",), ("profile_1",))),
    ("audio-inputs", {"audio_sources": 2}, lambda f: f.audio.sources, 2),
    ("audio-recorded", {"audio_track": True},
     lambda f: {t.type for t in f.recording.recordings[0].tracks}, {"Video", "Audio"}),
    ("ptz-position", _ptz_camera(), lambda f: f.ptz.position,
     PtzPosition(pan=0.5, tilt=-0.25, zoom=0.75)),
    ("ptz-presets", _ptz_camera(),
     lambda f: (f.ptz.nodes, [(p.token, p.name) for p in f.ptz.presets], f.ptz.moving),
     (("ptz_node_1",), [("preset_1", "door")], False)),
    ("recording-stopped", {"recording_active": False},
     lambda f: [(j.mode, j.state) for j in f.recording.jobs], [("Idle", "Idle")]),
    ("retention-unlimited", {"max_retention_s": 0},
     lambda f: f.recording.recordings[0].max_retention_seconds, 0),
    ("retention-too-long", {"max_retention_s": 90 * DAY_S},
     lambda f: f.recording.recordings[0].max_retention_seconds, 90 * DAY_S),
    ("footage-kept-too-long", {"footage_days": 45.0},
     lambda f: round((f.clock.camera_utc - f.recording.data_from).total_seconds() / DAY_S), 45),
    ("recording-lags", {"data_until_lag_s": 7200.0},
     lambda f: round((f.clock.camera_utc - f.recording.data_until).total_seconds() / 60), 120),
    ("no-ntp", {"ntp": False}, lambda f: f.clock.ntp, False),
    ("anonymous-access", {"anonymous": True},
     lambda f: (f.security.anonymous_access, f.security.auth_scheme), (True, "ws-security")),
    ("no-profile-g", {"recording_service": False}, lambda f: f.recording, None),
]


@pytest.mark.parametrize(("changes", "read", "expected"),
                         [pytest.param(c, r, e, id=name) for name, c, r, e in DEVIATIONS])
async def test_each_deviation_shows_in_the_facts(
    onvif: OnvifClient, sim_camera, changes: dict[str, Any],
    read: Callable[[CameraFacts], object], expected: object,
) -> None:
    collected = await collect_one(onvif, sim_camera(**changes))
    assert read(facts_of(collected)) == expected


async def test_missing_recording_service_is_unknown_with_a_not_supported_entry(
    onvif: OnvifClient, sim_camera
) -> None:
    collected = await collect_one(onvif, sim_camera(recording_service=False))
    assert [(e.kind, e.operation) for e in collected.errors] == [("not-supported", "GetServices")]
    assert "recording service is not offered" in collected.errors[0].message


async def test_clock_skew_of_600_s_still_authenticates(onvif: OnvifClient, sim_camera) -> None:
    collected = await collect_one(onvif, sim_camera(clock_offset_s=600.0))
    facts = facts_of(collected)
    assert collected.errors == ()
    assert facts.security is not None and facts.security.auth_scheme == "ws-security"
    assert facts.device is not None and facts.device.serial == "SER-1"
    assert facts.clock is not None
    assert facts.clock.offset_seconds == pytest.approx(600, abs=2)


async def test_injected_clock_is_used_for_observation_and_signing(sim_camera) -> None:
    """A clock an hour slow: the camera looks an hour ahead, and the offset
    learnt from it still dates every Created on the camera's clock."""
    async with OnvifClient(timeout=3.0, clock=lambda: datetime.now(UTC) - timedelta(hours=1)
                           ) as onvif:
        collected = await collect_one(onvif, sim_camera())
    facts = facts_of(collected)
    assert collected.errors == ()
    assert facts.clock is not None
    assert facts.clock.offset_seconds == pytest.approx(3600, abs=2)


async def test_wrong_password_is_auth_failed_with_only_the_clock(
    onvif: OnvifClient, sim_camera
) -> None:
    collected = await collect_one(onvif, sim_camera(), Credentials("admin", "wrong"))
    facts = facts_of(collected)
    assert collected.reachable is True
    assert [(e.kind, e.operation) for e in collected.errors] == [
        ("auth-failed", "GetDeviceInformation")]
    assert (facts.device, facts.audio, facts.ptz, facts.recording) == (None, None, None, None)
    assert facts.clock is not None
    assert facts.security is not None and facts.security.model_dump() == {
        "anonymous_access": False, "auth_scheme": "unknown", "tls": False}


async def test_no_credentials_on_a_protected_camera_is_auth_failed(
    onvif: OnvifClient, sim_camera
) -> None:
    collected = await collect_one(onvif, sim_camera(), None)
    assert [e.kind for e in collected.errors] == ["auth-failed"]
    assert facts_of(collected).device is None


async def test_no_credentials_on_an_open_camera_collects_everything(
    onvif: OnvifClient, sim_camera
) -> None:
    collected = await collect_one(onvif, sim_camera(anonymous=True), None)
    facts = facts_of(collected)
    assert collected.errors == ()
    assert facts.security is not None
    assert (facts.security.anonymous_access, facts.security.auth_scheme) == (True, "none")
    assert facts.recording is not None and facts.recording.jobs


async def test_unreachable_camera_is_reported_quickly(onvif: OnvifClient, sim_camera) -> None:
    async with SimulatedFleet([sim_camera()]) as fleet:
        address = fleet.endpoints[0].address
    started = time.monotonic()
    collected = await onvif.collect(address, GOOD)  # the fleet is gone: refused
    assert time.monotonic() - started < 1.0
    assert (collected.reachable, collected.facts) == (False, None)
    assert [(e.kind, e.operation) for e in collected.errors] == [
        ("unreachable", "GetSystemDateAndTime")]
    assert address in collected.errors[0].message


async def test_many_cameras_share_one_client(onvif: OnvifClient, sim_camera) -> None:
    import asyncio

    cameras = [sim_camera(f"SER-{n}", audio_sources=n % 3) for n in range(24)]
    async with SimulatedFleet(cameras) as fleet:
        results = await asyncio.gather(
            *(onvif.collect(e.address, GOOD) for e in fleet.endpoints))
    assert [r.errors for r in results] == [()] * 24
    assert [facts_of(r).audio.sources for r in results] == [n % 3 for n in range(24)]
    assert [facts_of(r).identity.serial for r in results] == [f"SER-{n}" for n in range(24)]
