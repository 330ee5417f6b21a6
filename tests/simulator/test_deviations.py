"""Each fleet-file deviation shows up as the matching ONVIF answer, read by
a standard zeep client; the compliant fleet shows none of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sim_zeep import zeep_service

from schemas.policy_file import load_policy
from simulator.fleet import DEFAULT_PASSWORD, FleetFile, build_cameras
from simulator.server import SimulatedFleet

POLICY = load_policy(Path(__file__).parent.parent / "fixtures" / "policy-small.yaml")


def _fleet(data: dict[str, Any]) -> FleetFile:
    """A fleet file from plain data, validated as the YAML loader does (JSON)."""
    return FleetFile.model_validate_json(json.dumps(data))


def _age_days(moment: datetime) -> float:
    return (datetime.now(UTC) - moment).total_seconds() / 86400


def _position(status: Any) -> tuple[float, float, float]:
    position = status.Position
    return (position.PanTilt.x, position.PanTilt.y, position.Zoom.x)


def _clock_offset(answer: Any) -> float:
    utc = answer.UTCDateTime
    reported = datetime(
        utc.Date.Year, utc.Date.Month, utc.Date.Day, utc.Time.Hour, utc.Time.Minute,
        utc.Time.Second, tzinfo=UTC,
    )
    return (reported - datetime.now(UTC)).total_seconds()


# (camera id, deviation, service, ask(proxy) -> answer, check(answer) -> bool)
Row = tuple[str, dict[str, Any], str, Callable[[Any], Any], Callable[[Any], bool]]
ROWS: dict[str, Row] = {
    "compliant-no-audio-in-profiles": (
        "test-main-cam1", {}, "media", lambda s: s.GetProfiles(),
        lambda ps: all(p.AudioEncoderConfiguration is None
                       and p.AudioSourceConfiguration is None for p in ps),
    ),
    "compliant-no-audio-sources": (
        "test-main-cam1", {}, "media", lambda s: s.GetAudioSources(), lambda a: len(a) == 0,
    ),
    "compliant-retention-30-days": (
        "test-main-cam1", {}, "recording", lambda s: s.GetRecordings(),
        lambda r: r[0].Configuration.MaximumRetentionTime == timedelta(days=30)
        and [t.Configuration.TrackType for t in r[0].Tracks.Track] == ["Video"],
    ),
    "compliant-recording-active": (
        "test-main-cam1", {}, "recording", lambda s: s.GetRecordingJobState("job_1"),
        lambda state: state.State == "Active",
    ),
    "compliant-footage-within-retention": (
        "test-main-cam1", {}, "search", lambda s: s.GetRecordingSummary(),
        lambda summary: 29.0 < _age_days(summary.DataFrom) < 30.0
        and _age_days(summary.DataUntil) < 0.01,
    ),
    "compliant-ptz-at-home-preset": (
        "test-main-cam3", {}, "ptz", lambda s: s.GetStatus("profile_1"),
        lambda status: _position(status) == pytest.approx((0.25, -0.1, 0.0)),
    ),
    "compliant-only-approved-presets": (
        "test-main-cam3", {}, "ptz", lambda s: s.GetPresets("profile_1"),
        lambda presets: [p.Name for p in presets] == ["gate"],
    ),
    "compliant-ntp": (
        "test-main-cam1", {}, "device", lambda s: s.GetSystemDateAndTime(),
        lambda answer: answer.DateTimeType == "NTP" and abs(_clock_offset(answer)) < 2,
    ),
    "audio-encoder": (
        "test-main-cam1", {"audio_encoder": True}, "media", lambda s: s.GetProfiles(),
        lambda ps: ps[0].AudioEncoderConfiguration.token == "aec_1"
        and ps[0].AudioSourceConfiguration.SourceToken == "audio_src_1",
    ),
    "audio-source": (
        "test-main-cam1", {"audio_sources": 2}, "media", lambda s: s.GetAudioSources(),
        lambda sources: [s.token for s in sources] == ["audio_src_1", "audio_src_2"],
    ),
    "audio-track": (
        "test-main-cam1", {"audio_track": True}, "recording", lambda s: s.GetRecordings(),
        lambda r: "Audio" in [t.Configuration.TrackType for t in r[0].Tracks.Track],
    ),
    "ptz-node-on-unapproved-camera": (
        "test-main-cam1", {"ptz_node": True}, "ptz", lambda s: s.GetNodes(),
        lambda nodes: [n.token for n in nodes] == ["ptz_node_1"],
    ),
    "ptz-off-preset": (
        "test-main-cam3", {"ptz_position": {"pan": 0.9, "tilt": 0.2, "zoom": 0.5}}, "ptz",
        lambda s: s.GetStatus("profile_1"),
        lambda status: _position(status) == pytest.approx((0.9, 0.2, 0.5)),
    ),
    "ptz-extra-preset": (
        "test-main-cam3", {"ptz_extra_presets": [{"name": "parking", "pan": -0.5, "tilt": 0.0}]},
        "ptz", lambda s: s.GetPresets("profile_1"),
        lambda presets: [p.Name for p in presets] == ["gate", "parking"],
    ),
    "recording-stopped-job-mode": (
        "test-main-cam1", {"recording": "stopped"}, "recording",
        lambda s: s.GetRecordingJobs(), lambda jobs: jobs[0].JobConfiguration.Mode == "Idle",
    ),
    "recording-stopped-job-state": (
        "test-main-cam1", {"recording": "stopped"}, "recording",
        lambda s: s.GetRecordingJobState("job_1"), lambda state: state.State == "Idle",
    ),
    "retention-90-days": (
        "test-main-cam1", {"max_retention_days": 90}, "recording", lambda s: s.GetRecordings(),
        lambda r: r[0].Configuration.MaximumRetentionTime == timedelta(days=90),
    ),
    "retention-unlimited": (
        "test-main-cam1", {"max_retention_days": 0}, "recording", lambda s: s.GetRecordings(),
        lambda r: r[0].Configuration.MaximumRetentionTime == timedelta(0),
    ),
    "footage-older-than-retention": (
        "test-main-cam1", {"footage_days": 45}, "search", lambda s: s.GetRecordingSummary(),
        lambda summary: 44.99 < _age_days(summary.DataFrom) < 45.01,
    ),
    "footage-lagging": (
        "test-main-cam1", {"data_until_lag_minutes": 120}, "search",
        lambda s: s.GetRecordingSummary(),
        lambda summary: abs(_age_days(summary.DataUntil) * 1440 - 120) < 1,
    ),
    "clock-ahead": (
        "test-main-cam1", {"clock_offset_s": 200}, "device", lambda s: s.GetSystemDateAndTime(),
        lambda answer: 195 <= _clock_offset(answer) <= 201,
    ),
    "no-ntp": (
        "test-main-cam1", {"ntp": False}, "device", lambda s: s.GetNTP(),
        lambda ntp: list(ntp.NTPManual) == [],
    ),
    "other-firmware": (
        "test-main-cam1", {"manufacturer": "Other", "firmware": "0.9"}, "device",
        lambda s: s.GetDeviceInformation(),
        lambda info: (info.Manufacturer, info.FirmwareVersion) == ("Other", "0.9"),
    ),
}


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
async def test_deviation_shows_in_onvif_answer(call, row: Row) -> None:
    camera_id, deviation, service, ask, check = row
    fleet_file = _fleet({"deviations": {camera_id: deviation}})
    cameras = [c for c in build_cameras(POLICY, fleet_file) if c.camera_id == camera_id]
    async with SimulatedFleet(cameras) as fleet:
        proxy = zeep_service(service, fleet.endpoints[0].address, "admin", DEFAULT_PASSWORD)
        answer = await call(ask, proxy)
    assert check(answer), answer


async def test_anonymous_deviation_answers_without_credentials(call) -> None:
    fleet_file = _fleet({"deviations": {"test-main-cam2": {"anonymous": True}}})
    cameras = build_cameras(POLICY, fleet_file, sites=["test-main"])
    async with SimulatedFleet(cameras) as fleet:
        open_device = zeep_service("media", fleet.endpoint("test-main-cam2").address, None, None)
        profiles = await call(open_device.GetProfiles)
    assert len(profiles) == 2


async def test_ptz_moves_are_seen_by_the_next_status(call) -> None:
    cameras = [c for c in build_cameras(POLICY) if c.camera_id == "test-main-cam3"]
    async with SimulatedFleet(cameras) as fleet:
        ptz = zeep_service("ptz", fleet.endpoints[0].address, "admin", DEFAULT_PASSWORD)
        position = {"PanTilt": {"x": -0.7, "y": 0.4}, "Zoom": {"x": 0.8}}
        await call(ptz.AbsoluteMove, "profile_1", position)
        moved = _position(await call(ptz.GetStatus, "profile_1"))
        await call(ptz.GotoPreset, "profile_1", "preset_1")
        home = _position(await call(ptz.GetStatus, "profile_1"))
    assert moved == pytest.approx((-0.7, 0.4, 0.8))
    assert home == pytest.approx((0.25, -0.1, 0.0))


async def test_runtime_state_change_is_seen_without_restart(call) -> None:
    cameras = [c for c in build_cameras(POLICY) if c.camera_id == "test-main-cam1"]
    async with SimulatedFleet(cameras) as fleet:
        recording = zeep_service("recording", fleet.endpoints[0].address, "admin", DEFAULT_PASSWORD)
        before = (await call(recording.GetRecordingJobState, "job_1")).State
        cameras[0].recording_active = False
        after = (await call(recording.GetRecordingJobState, "job_1")).State
    assert (before, after) == ("Active", "Idle")


@pytest.mark.parametrize(
    ("service", "ask", "subcode"),
    [
        ("media", lambda s: s.GetStreamUri({"Stream": "RTP-Unicast",
                                            "Transport": {"Protocol": "RTSP"}}, "nope"),
         "NoProfile"),
        ("ptz", lambda s: s.GotoPreset("profile_1", "nope"), "NoToken"),
        ("ptz", lambda s: s.AbsoluteMove("profile_1", {"PanTilt": {"x": 2.0, "y": 0.0}}),
         "InvalidPosition"),
        ("recording", lambda s: s.GetRecordingJobState("nope"), "NoRecordingJob"),
        ("search", lambda s: s.GetRecordingInformation("nope"), "NoRecording"),
    ],
    ids=["no-profile", "no-preset", "position-out-of-range", "no-job", "no-recording"],
)
async def test_bad_arguments_are_invalid_arg_faults(call, service, ask, subcode) -> None:
    from zeep.exceptions import Fault

    cameras = [c for c in build_cameras(POLICY) if c.camera_id == "test-main-cam3"]
    async with SimulatedFleet(cameras) as fleet:
        proxy = zeep_service(service, fleet.endpoints[0].address, "admin", DEFAULT_PASSWORD)
        with pytest.raises(Fault) as caught:
            await call(ask, proxy)
    assert [c.localname for c in caught.value.subcodes] == ["InvalidArgVal", subcode]


async def test_camera_without_ptz_or_profile_g_says_action_not_supported(call) -> None:
    from zeep.exceptions import Fault

    cameras = [c for c in build_cameras(POLICY) if c.camera_id == "test-main-cam1"]
    cameras[0].recording_service = False
    async with SimulatedFleet(cameras) as fleet:
        address = fleet.endpoints[0].address
        codes = []
        for service, ask in (
            ("ptz", lambda s: s.GetNodes()),
            ("search", lambda s: s.GetRecordingSummary()),
        ):
            proxy = zeep_service(service, address, "admin", DEFAULT_PASSWORD)
            with pytest.raises(Fault) as caught:
                await call(ask, proxy)
            codes.append(caught.value.subcodes[0].localname)
    assert codes == ["ActionNotSupported", "ActionNotSupported"]
