"""The mutable state of one simulated ONVIF camera.

A ``SimCamera`` is a plain dataclass on purpose: tests and demos change it
while the fleet is serving (stop recording, move the PTZ head, skew the
clock) and the next ONVIF answer reflects the change. Nothing is cached
from it, so there is nothing to invalidate.

Units: seconds for durations and offsets, days (float) for footage age,
ONVIF's generic normalised spaces for PTZ (pan/tilt -1..1, zoom 0..1).
The camera's clock is the true UTC clock plus ``clock_offset_s``; every
time the camera reports, and every WS-Security ``Created`` it checks, uses
that clock.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

DAY_S = 86400


class SimPreset(NamedTuple):
    """A PTZ preset stored on the camera."""

    token: str
    name: str
    pan: float
    tilt: float
    zoom: float = 0.0


@dataclass
class SimPtz:
    """A PTZ node: where the head points now and the presets it stores."""

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0
    presets: list[SimPreset] = field(default_factory=list)

    def goto(self, preset_token: str) -> bool:
        """Move to a stored preset; False when no preset has that token."""
        for preset in self.presets:
            if preset.token == preset_token:
                self.pan, self.tilt, self.zoom = preset.pan, preset.tilt, preset.zoom
                return True
        return False


@dataclass
class SimCamera:
    """One simulated camera. ``camera_id`` is None for a device the policy
    does not declare. Defaults describe a compliant, well-kept camera."""

    site_id: str
    camera_id: str | None
    serial: str
    manufacturer: str
    model: str
    firmware: str
    mac: str
    """Lower-case, colon-separated."""
    endpoint_reference: str
    """WS-Discovery endpoint reference, ``urn:uuid:...``."""
    username: str
    password: str
    anonymous: bool = False
    """Answer every operation without credentials (a finding for the policy)."""
    clock_offset_s: float = 0.0
    """Camera clock minus true time (positive: the camera is ahead)."""
    ntp: bool = True
    ntp_server: str = "127.0.0.1"
    audio_sources: int = 0
    """Audio inputs the device has (GetAudioSources)."""
    audio_encoder: bool = False
    """The main media profile holds an AudioSourceConfiguration and an
    AudioEncoderConfiguration (audio is streamed)."""
    audio_track: bool = False
    """The recording holds an Audio track (audio is recorded)."""
    ptz: SimPtz | None = None
    """None: the device has no PTZ node (and serves no PTZ service)."""
    recording_active: bool = True
    """The recording job's mode and state: Active, or Idle when False."""
    max_retention_s: int = 30 * DAY_S
    """MaximumRetentionTime of the recording; 0 means unlimited."""
    footage_days: float = 30.0
    """Age of the oldest footage kept: DataFrom = camera now - footage_days."""
    data_until_lag_s: float = 0.0
    """How far the newest footage lags: DataUntil = camera now - lag."""
    recording_service: bool = True
    """Offer the Recording and Search services (ONVIF Profile G)."""
    hostname: str = "camera"
    hardware_id: str = "HW-1"

    def now(self) -> datetime:
        """The camera's own clock, UTC-aware."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    @property
    def label(self) -> str:
        """The camera id, or the serial for an undeclared device."""
        return self.camera_id if self.camera_id is not None else self.serial


def derived_mac(serial: str) -> str:
    """A stable, locally administered MAC for a serial (02:xx:...)."""
    digest = hashlib.sha1(serial.encode("utf-8")).digest()
    return ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))


def derived_endpoint_reference(serial: str) -> str:
    """A stable ``urn:uuid:`` endpoint reference for a serial."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'camwarden-sim:' + serial)}"
