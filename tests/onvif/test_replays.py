"""collect() against replayed camera answers: one row per vendor quirk,
plus the transport failures (refused, hanging, dropped connections)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.onvif import Collected, Credentials, OnvifClient
from schemas.facts import CameraFacts, PtzPosition

GOOD = Credentials("admin", "s3cret")


def facts_of(collected: Collected) -> CameraFacts:
    assert collected.facts is not None, collected.errors
    return collected.facts


def errors_of(collected: Collected) -> list[tuple[str, str]]:
    return [(e.kind, e.operation) for e in collected.errors]


async def test_baseline_replay_collects_without_errors(onvif: OnvifClient,
                                                       replay_camera) -> None:
    camera = await replay_camera()
    collected = await onvif.collect(camera.address, GOOD)
    facts = facts_of(collected)
    assert collected.errors == ()
    assert facts.ptz is not None
    assert facts.ptz.position == PtzPosition(pan=0.25, tilt=-0.5, zoom=0.1)
    assert facts.recording is not None
    assert facts.recording.recordings[0].max_retention_seconds == 30 * 86400
    assert facts.clock is not None
    assert facts.clock.camera_utc == datetime(2026, 11, 24, 18, 7, 50, tzinfo=UTC)


def _months_seconds(f: CameraFacts) -> bool:
    seconds = f.recording.recordings[0].max_retention_seconds
    return seconds is not None and 28 * 86400 <= seconds <= 31 * 86400


QUIRKS: list[tuple[str, Callable[[CameraFacts], object], object]] = [
    ("ptz-status-without-zoom", lambda f: (f.ptz.position, f.ptz.moving),
     (PtzPosition(pan=0.75, tilt=0.1, zoom=None), True)),
    ("media-profile-with-audio",
     lambda f: (f.audio.encoder_profiles, f.audio.source_profiles),
     (("Profile_B",), ("Profile_A", "Profile_B"))),
    ("retention-pt0s", lambda f: f.recording.recordings[0].max_retention_seconds, 0),
    ("retention-calendar-month", _months_seconds, True),
    ("retention-calendar-month",
     lambda f: [(t.token, t.type) for t in f.recording.recordings[0].tracks],
     [("VIDEO001", "Video"), ("AUDIO001", "Audio"), ("META001", "Metadata")]),
    ("xaddr-wrong-host", lambda f: (f.audio is not None, f.ptz.nodes, f.recording),
     (True, (), None)),
    ("get-services-not-supported",
     lambda f: (f.audio is not None, f.ptz.nodes, len(f.recording.jobs)),
     (True, ("ptz_node_1",), 1)),
    ("mac-dash-uppercase", lambda f: f.identity.macs,
     ("00:1a:2b:3c:4d:5e", "00:1a:2b:3c:4d:5f")),
    ("clock-without-utc", lambda f: (f.clock, f.device is not None), (None, True)),
    ("audio-not-supported-fault", lambda f: f.audio.sources, 0),
    ("ntp-receiver-fault", lambda f: (f.clock.ntp, f.clock.ntp_servers), (True, ())),
    ("summary-naive-datetimes", lambda f: (f.recording.data_from, f.recording.data_until),
     (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 24, 12, 30, tzinfo=UTC))),
    ("system-date-requires-auth", lambda f: (f.clock is not None, f.device is not None),
     (True, True)),
    ("malformed-xml", lambda f: (f.audio, f.ptz.position is None), (None, True)),
    ("html-401-page", lambda f: (f.device, f.security.anonymous_access), (None, False)),
]

QUIRK_ERRORS: dict[str, list[tuple[str, str]]] = {
    "xaddr-wrong-host": [("not-supported", "GetServices")],
    "get-services-not-supported": [("not-supported", "GetServices")],
    "clock-without-utc": [("protocol", "GetSystemDateAndTime")],
    "ntp-receiver-fault": [("protocol", "GetNTP")],
    "malformed-xml": [("protocol", "GetProfiles")],
    "html-401-page": [("auth-failed", "GetDeviceInformation")],
}
"""The error entries each quirk leaves; every other quirk leaves none."""


@pytest.mark.parametrize(("quirk", "read", "expected"),
                         [pytest.param(q, r, e, id=q) for q, r, e in QUIRKS])
async def test_quirk_is_absorbed(onvif: OnvifClient, replay_camera, quirk: str,
                                 read: Callable[[CameraFacts], Any], expected: object) -> None:
    camera = await replay_camera(quirk)
    collected = await onvif.collect(camera.address, GOOD)
    assert read(facts_of(collected)) == expected


@pytest.mark.parametrize("quirk", sorted({q for q, _, _ in QUIRKS}))
async def test_quirk_leaves_only_its_own_error_entries(onvif: OnvifClient, replay_camera,
                                                       quirk: str) -> None:
    camera = await replay_camera(quirk)
    collected = await onvif.collect(camera.address, GOOD)
    assert collected.reachable is True
    kinds = errors_of(collected)
    if quirk == "xaddr-wrong-host":  # PTZ is simply absent; Recording is noted once
        assert kinds == [("not-supported", "GetServices")]
        assert "recording service is not offered" in collected.errors[0].message
    else:
        assert kinds == QUIRK_ERRORS.get(quirk, [])


async def test_no_service_list_leaves_service_facts_unknown(onvif: OnvifClient,
                                                            replay_camera) -> None:
    camera = await replay_camera("get-services-not-supported", "capabilities-not-supported")
    collected = await onvif.collect(camera.address, GOOD)
    facts = facts_of(collected)
    assert (facts.audio, facts.ptz, facts.recording) == (None, None, None)
    assert facts.device is not None and facts.clock is not None
    assert errors_of(collected) == [("not-supported", "GetServices"),
                                    ("not-supported", "GetCapabilities")]


async def test_wrong_xaddr_host_is_moved_onto_the_reached_address(
    onvif: OnvifClient, replay_camera
) -> None:
    camera = await replay_camera("xaddr-wrong-host")
    await onvif.collect(camera.address, GOOD)
    assert "GetProfiles" in camera.operations()  # reached us, not 127.0.0.254:1


async def test_auth_required_for_system_date_retries_signed(onvif: OnvifClient,
                                                            replay_camera) -> None:
    camera = await replay_camera("system-date-requires-auth")
    await onvif.collect(camera.address, GOOD)
    assert camera.requests[:2] == [("GetSystemDateAndTime", False),
                                   ("GetSystemDateAndTime", True)]


async def test_anonymous_probe_is_unsigned_and_the_rest_is_signed(
    onvif: OnvifClient, replay_camera
) -> None:
    camera = await replay_camera()
    await onvif.collect(camera.address, GOOD)
    unsigned = [op for op, signed in camera.requests if not signed]
    assert unsigned == ["GetSystemDateAndTime", "GetDeviceInformation"]
    assert len(camera.requests) > len(unsigned) + 10


async def test_connection_refused_is_unreachable(onvif: OnvifClient) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    collected = await onvif.collect(f"127.0.0.1:{port}", GOOD)
    assert time.monotonic() - started < 1.0
    assert (collected.reachable, collected.facts) == (False, None)
    assert errors_of(collected) == [("unreachable", "GetSystemDateAndTime")]


async def test_silent_camera_times_out_as_unreachable(replay_camera) -> None:
    camera = await replay_camera(hang={"GetSystemDateAndTime"})
    async with OnvifClient(timeout=0.3) as onvif:
        started = time.monotonic()
        collected = await onvif.collect(camera.address, GOOD)
    assert time.monotonic() - started < 2.0
    assert (collected.reachable, collected.facts) == (False, None)
    assert errors_of(collected) == [("timeout", "GetSystemDateAndTime")]


async def test_one_slow_operation_times_out_alone(replay_camera) -> None:
    camera = await replay_camera(hang={"GetRecordings"})
    async with OnvifClient(timeout=0.3) as onvif:
        collected = await onvif.collect(camera.address, GOOD)
    facts = facts_of(collected)
    assert errors_of(collected) == [("timeout", "GetRecordings")]
    assert facts.recording is not None and facts.recording.recordings == ()
    assert [j.state for j in facts.recording.jobs] == ["Active"]
    assert facts.ptz is not None and facts.ptz.nodes == ("ptz_node_1",)


async def test_dropped_connection_is_retried(replay_camera) -> None:
    camera = await replay_camera(drop_once={"GetProfiles"})
    async with OnvifClient(timeout=2.0, backoff=0.01) as onvif:
        collected = await onvif.collect(camera.address, GOOD)
    assert collected.errors == ()
    assert camera.operations().count("GetProfiles") == 2
    assert facts_of(collected).audio is not None


async def test_dropped_connection_without_retries_is_noted(replay_camera) -> None:
    camera = await replay_camera(drop_once={"GetProfiles"})
    async with OnvifClient(timeout=2.0, retries=0) as onvif:
        collected = await onvif.collect(camera.address, GOOD)
    assert errors_of(collected) == [("unreachable", "GetProfiles")]
    assert camera.operations().count("GetProfiles") == 1


@pytest.mark.parametrize("address", ["camera", "camera:", "camera:http", "::1:80",
                                     "camera:70000", ":80"])
async def test_bad_address_is_a_clear_value_error(onvif: OnvifClient, address: str) -> None:
    with pytest.raises(ValueError, match=r"not host:port|IPv6"):
        await onvif.collect(address, GOOD)


async def test_collect_outside_the_context_is_a_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await OnvifClient().collect("127.0.0.1:1", GOOD)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"timeout": 0}, "timeout"), ({"max_concurrency": 0}, "max_concurrency"),
    ({"per_camera": 0}, "per_camera"), ({"retries": -1}, "retries")])
def test_bad_settings_are_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OnvifClient(**kwargs)


def test_credentials_repr_hides_the_password() -> None:
    assert "s3cret" not in repr(GOOD)

