"""What an agent observed on one camera, in our own terms.

``agent.onvif`` turns SOAP answers into these; ``agent.checks`` and
``controller.reconcile`` judge them against the policy. A field that is
``None`` is *unknown* (the camera does not offer that service, or the call
failed): unknown never produces a finding, only an error entry, so that a
camera without a Recording service is not accused of not recording.

All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime

from schemas.base import Model


class DeviceInfo(Model):
    manufacturer: str
    model: str
    firmware: str
    serial: str
    hardware_id: str = ""


class ObservedIdentity(Model):
    address: str
    """host:port the agent reached."""
    serial: str | None = None
    macs: tuple[str, ...] = ()
    """Lower-case, colon-separated."""
    endpoint_reference: str | None = None


class AudioFacts(Model):
    sources: int
    """Audio inputs the device has (GetAudioSources)."""
    encoder_profiles: tuple[str, ...] = ()
    """Tokens of media profiles holding an AudioEncoderConfiguration."""
    source_profiles: tuple[str, ...] = ()
    """Tokens of media profiles holding an AudioSourceConfiguration."""


class PtzPosition(Model):
    pan: float | None = None
    tilt: float | None = None
    zoom: float | None = None


class PtzPresetFact(Model):
    token: str
    name: str
    position: PtzPosition | None = None


class PtzFacts(Model):
    nodes: tuple[str, ...]
    """PTZ node tokens; empty means the device has no PTZ."""
    position: PtzPosition | None = None
    presets: tuple[PtzPresetFact, ...] = ()
    moving: bool | None = None


TrackType = Literal["Video", "Audio", "Metadata", "Extended"]


class TrackFact(Model):
    token: str
    type: TrackType


class RecordingFact(Model):
    token: str
    max_retention_seconds: int | None = None
    """MaximumRetentionTime; 0 means unlimited, None unknown."""
    tracks: tuple[TrackFact, ...] = ()
    data_from: AwareDatetime | None = None
    data_until: AwareDatetime | None = None


class RecordingJobFact(Model):
    token: str
    recording_token: str
    mode: str
    """The job's configured mode: "Active" or "Idle"."""
    state: str | None = None
    """The job's actual state: "Active", "PartiallyActive", "Idle", "Error"."""


class RecordingFacts(Model):
    recordings: tuple[RecordingFact, ...] = ()
    jobs: tuple[RecordingJobFact, ...] = ()
    data_from: AwareDatetime | None = None
    """Search GetRecordingSummary DataFrom: the oldest footage kept."""
    data_until: AwareDatetime | None = None
    """Search GetRecordingSummary DataUntil: the newest footage."""


class ClockFacts(Model):
    observed_at: AwareDatetime
    """The agent's clock when the camera answered."""
    camera_utc: AwareDatetime
    """The camera's UTC time from GetSystemDateAndTime."""
    ntp: bool | None = None
    """DateTimeType is NTP."""
    ntp_servers: tuple[str, ...] = ()

    @property
    def offset_seconds(self) -> float:
        """Camera minus true time, in seconds (positive: camera is ahead)."""
        return (self.camera_utc - self.observed_at).total_seconds()


AuthScheme = Literal["ws-security", "http-digest", "none", "unknown"]


class SecurityFacts(Model):
    anonymous_access: bool | None = None
    """The device answered a protected operation without credentials."""
    auth_scheme: AuthScheme = "unknown"
    """The scheme that worked for us."""
    tls: bool | None = None


class CameraFacts(Model):
    identity: ObservedIdentity
    device: DeviceInfo | None = None
    audio: AudioFacts | None = None
    ptz: PtzFacts | None = None
    recording: RecordingFacts | None = None
    clock: ClockFacts | None = None
    security: SecurityFacts | None = None
