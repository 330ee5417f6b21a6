"""Declared against observed, aspect by aspect, for one camera: pure.

The camera screen puts what the policy declares next to what the agent last
saw, in words, one row per aspect a rule judges (identity, device, audio,
PTZ, recording, retention, clock, security). The API gives the camera's
``DeclaredCamera`` but not the policy-wide settings (audio default,
retention days, recording hours, clock tolerance); for those the declared
side says "per site policy" (the camera card names the policy), and the
finding's evidence carries the declared number when a rule fires.
"""

from __future__ import annotations

from datetime import datetime

from schemas.api import CameraDetail
from schemas.facts import CameraFacts, PtzPosition
from schemas.policy import DeclaredCamera
from tui.format import age, duration_words

ASPECTS: tuple[str, ...] = (
    "identity",
    "device",
    "audio",
    "ptz",
    "recording",
    "retention",
    "clock",
    "security",
)

ASPECT_LABEL: dict[str, str] = {
    "identity": "Identity",
    "device": "Device",
    "audio": "Audio",
    "ptz": "PTZ",
    "recording": "Recording",
    "retention": "Retention",
    "clock": "Clock",
    "security": "Security",
}

NOT_OBSERVED = "not observed"
NOT_DECLARED = "not declared"


PER_POLICY = "per site policy"
"""The declared side of a setting the policy makes for every camera; the
camera card names the policy."""


def comparison(detail: CameraDetail, now: datetime) -> tuple[tuple[str, str, str], ...]:
    """``(aspect, declared, observed)`` per aspect, in ``ASPECTS`` order."""
    declared = _declared(detail.declared)
    observed = _observed(detail.observed, now)
    return tuple((aspect, declared[aspect], observed[aspect]) for aspect in ASPECTS)


def _declared(camera: DeclaredCamera | None) -> dict[str, str]:
    if camera is None:
        return dict.fromkeys(ASPECTS, NOT_DECLARED)
    identity = camera.identity
    keys = [
        f"{name} {value}"
        for name, value in (
            ("serial", identity.serial),
            ("mac", identity.mac),
            ("address", identity.address),
            ("endpoint", identity.endpoint_reference),
        )
        if value
    ]
    ptz = camera.ptz
    if not ptz.approved:
        ptz_words = "not approved"
    else:
        home = ptz.home()
        names = ", ".join(p.name for p in ptz.presets) or "none"
        ptz_words = f"approved; presets: {names}"
        if home is not None:
            ptz_words += f"; rests at {home.name} ({_position(home.pan, home.tilt, home.zoom)})"
    return {
        "identity": "; ".join(keys),
        "device": PER_POLICY,
        "audio": f"{camera.audio} for this camera" if camera.audio else PER_POLICY,
        "ptz": ptz_words,
        "recording": PER_POLICY,
        "retention": PER_POLICY,
        "clock": PER_POLICY,
        "security": PER_POLICY,
    }


def _observed(facts: CameraFacts | None, now: datetime) -> dict[str, str]:
    if facts is None:
        return dict.fromkeys(ASPECTS, NOT_OBSERVED)
    identity = facts.identity
    parts = [f"at {identity.address}"]
    if identity.serial:
        parts.append(f"serial {identity.serial}")
    if identity.macs:
        parts.append("mac " + ", ".join(identity.macs))
    return {
        "identity": "; ".join(parts),
        "device": _device(facts),
        "audio": _audio(facts),
        "ptz": _ptz(facts),
        "recording": _recording(facts, now),
        "retention": _retention(facts, now),
        "clock": _clock(facts),
        "security": _security(facts),
    }


def _device(facts: CameraFacts) -> str:
    device = facts.device
    if device is None:
        return NOT_OBSERVED
    return f"{device.manufacturer} {device.model}, firmware {device.firmware}"


def _audio(facts: CameraFacts) -> str:
    audio = facts.audio
    if audio is None:
        return NOT_OBSERVED
    if audio.encoder_profiles:
        return (
            f"AUDIO ENCODED in profile(s) {', '.join(audio.encoder_profiles)} "
            f"({audio.sources} input(s))"
        )
    if audio.source_profiles:
        return f"audio source in profile(s) {', '.join(audio.source_profiles)}, no encoder"
    if audio.sources:
        return f"{audio.sources} audio input(s), not in use"
    return "no audio input"


def _ptz(facts: CameraFacts) -> str:
    ptz = facts.ptz
    if ptz is None:
        return NOT_OBSERVED
    if not ptz.nodes:
        return "no PTZ"
    words = f"PTZ ({len(ptz.nodes)} node(s))"
    if ptz.position is not None:
        words += f" at {_observed_position(ptz.position)}"
    if ptz.presets:
        words += "; presets: " + ", ".join(p.name for p in ptz.presets)
    return words


def _recording(facts: CameraFacts, now: datetime) -> str:
    recording = facts.recording
    if recording is None:
        return NOT_OBSERVED
    active = sum(1 for job in recording.jobs if (job.state or job.mode) == "Active")
    words = f"{active} of {len(recording.jobs)} job(s) active"
    if recording.data_until is not None:
        words += f"; newest footage {age(recording.data_until, now)} old"
    audio_tracks = sum(
        1 for rec in recording.recordings for track in rec.tracks if track.type == "Audio"
    )
    if audio_tracks:
        words += f"; {audio_tracks} AUDIO track(s)"
    return words


def _retention(facts: CameraFacts, now: datetime) -> str:
    recording = facts.recording
    if recording is None:
        return NOT_OBSERVED
    limits = sorted(
        {
            rec.max_retention_seconds
            for rec in recording.recordings
            if rec.max_retention_seconds is not None
        }
    )
    if not limits:
        words = "limit unknown"
    else:
        words = "keeps " + ", ".join(
            "UNLIMITED" if seconds == 0 else duration_words(seconds) for seconds in limits
        )
    if recording.data_from is not None:
        words += f"; oldest footage {age(recording.data_from, now)} old"
    return words


def _clock(facts: CameraFacts) -> str:
    clock = facts.clock
    if clock is None:
        return NOT_OBSERVED
    offset = clock.offset_seconds
    ntp = {True: "NTP", False: "NO NTP", None: "NTP unknown"}[clock.ntp]
    return f"{offset:+.1f} s from true time; {ntp}"


def _security(facts: CameraFacts) -> str:
    security = facts.security
    if security is None:
        return NOT_OBSERVED
    access = {
        True: "ANSWERS WITHOUT AUTHENTICATION",
        False: "authentication required",
        None: "authentication unknown",
    }[security.anonymous_access]
    tls = {True: "TLS", False: "no TLS", None: "TLS unknown"}[security.tls]
    return f"{access}; {security.auth_scheme}; {tls}"


def _position(pan: float, tilt: float, zoom: float) -> str:
    return f"pan {pan:+.2f} tilt {tilt:+.2f} zoom {zoom:.2f}"


def _observed_position(position: PtzPosition) -> str:
    def show(value: float | None, signed: bool) -> str:
        if value is None:
            return "?"
        return f"{value:+.2f}" if signed else f"{value:.2f}"

    return (
        f"pan {show(position.pan, True)} tilt {show(position.tilt, True)} "
        f"zoom {show(position.zoom, False)}"
    )
