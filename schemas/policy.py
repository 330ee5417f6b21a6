"""The declared state: a CCTV operation and management policy as data.

One ``Policy`` is one published policy of one organisation (PIPA Art. 25(7)):
its purposes, its sites and every camera on them, what each camera may do,
how long footage is kept, and who is accountable. Load it with
``schemas.policy_file.load_policy`` so that mistakes are reported with the
file, line and field.

Identifiers (policy, site and camera ids) are slugs: lower-case ASCII letters,
digits, ``-`` and ``_``. They become parts of MQTT topics and URLs, so they
must be safe there; site ids must be unique across all policies one
controller serves, which is why the examples prefix them with the
organisation.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from schemas.base import Model

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]

AudioRule = Literal["forbidden", "allowed"]

Purpose = Literal[
    "facility-safety",
    "fire-prevention",
    "crime-prevention",
    "vehicle-theft-prevention",
    "dispute-prevention",
    "detainee-safety",
    "traffic-control",
]
"""The purposes PIPA Art. 25(1) admits for public places, as the seeds name them."""

RoleKind = Literal[
    "privacy-officer",  # 개인정보 보호책임자 / 보호책임관
    "responsible-manager",  # 관리책임자 / 총괄책임자
    "operator",  # 운영책임자 / 보호담당자 / 취급자
    "access-holder",  # 접근권한자
    "outsourced-operator",  # 수탁업체
]


class Organisation(Model):
    name: Text
    name_en: Text | None = None
    kind: Literal["central-government", "local-government", "public-agency", "other"] = (
        "public-agency"
    )


class Role(Model):
    """A person's role, never the person: names and phone numbers change and
    do not belong in configuration."""

    role: RoleKind
    title: Text
    title_ko: Text | None = None
    unit: Text | None = None
    sites: tuple[Slug, ...] = ()
    """Sites the role covers; empty means every site of the policy."""
    contact: Text | None = None
    """How to reach the role (an office, a front desk), never a person."""


class Identity(Model):
    """How a device on the network is recognised as this declared camera.

    At least one key is required. A device matches when any given key
    matches: serial number (as GetDeviceInformation reports it), a MAC
    address, the WS-Discovery endpoint reference, or the address (host or
    host:port) the agent reaches it at.
    """

    serial: Text | None = None
    mac: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")] | None = None
    endpoint_reference: Text | None = None
    address: Text | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Identity:
        if not any((self.serial, self.mac, self.endpoint_reference, self.address)):
            raise ValueError("give at least one of serial, mac, endpoint_reference, address")
        return self


class Preset(Model):
    """An approved PTZ preset; pan, tilt and zoom in ONVIF's generic
    normalised spaces (pan/tilt -1..1, zoom 0..1)."""

    name: Text
    pan: float = Field(ge=-1, le=1)
    tilt: float = Field(ge=-1, le=1)
    zoom: float = Field(default=0.0, ge=0, le=1)


class PtzPolicy(Model):
    approved: bool = False
    """Whether this camera may have pan/tilt/zoom at all."""
    presets: tuple[Preset, ...] = ()
    """Presets approved for its purpose. Any other preset on the camera is a finding."""
    home_preset: Text | None = None
    """The preset the camera must rest at; a position away from it is ``ptz.off-preset``."""
    position_tolerance: float = Field(default=0.02, gt=0, le=1)

    @model_validator(mode="after")
    def _home_is_a_preset(self) -> PtzPolicy:
        if self.presets and not self.approved:
            raise ValueError("presets are given but approved is false")
        names = {p.name for p in self.presets}
        if self.home_preset is not None and self.home_preset not in names:
            raise ValueError(f"home_preset {self.home_preset!r} is not one of the presets")
        if len(names) != len(self.presets):
            raise ValueError("preset names must be unique")
        return self

    def home(self) -> Preset | None:
        for preset in self.presets:
            if preset.name == self.home_preset:
                return preset
        return None


class DeclaredCamera(Model):
    id: Slug
    name: Text
    """The label the policy uses (``Cam9``)."""
    location: Text
    """설치 위치: where it is mounted."""
    coverage: Text
    """촬영 범위: what it films."""
    identity: Identity
    public_place: bool | None = None
    ptz: PtzPolicy = PtzPolicy()
    audio: AudioRule | None = None
    """Overrides the policy's audio rule for this camera (rarely lawful)."""


class ForeignCamera(Model):
    """A camera in the same building run by another body (seed 001: the joint
    government building's management office). Seen, but not ours to judge."""

    owner: Text
    location: Text
    identity: Identity


class Site(Model):
    id: Slug
    name: Text
    name_en: Text | None = None
    storage_place: Text
    """보관 장소: where the recorder sits (a controlled room)."""
    monitoring_place: Text | None = None
    cameras: tuple[DeclaredCamera, ...] = Field(min_length=1)
    foreign_cameras: tuple[ForeignCamera, ...] = ()


class RecordingPolicy(Model):
    continuous: bool = True
    """Record 24 hours a day, every day."""
    max_gap_minutes: int = Field(default=10, ge=1, le=1440)
    """How far the newest footage may lag behind now before it is a gap."""


class RetentionPolicy(Model):
    days: int = Field(ge=1, le=3650)
    """보관 기간, counted from the day of capture."""
    tolerance_days: int = Field(default=1, ge=0, le=30)
    """Slack for daily deletion jobs and capacity-driven deletion (seed 000)."""
    deletion: Literal["automatic", "manual"] = "automatic"
    deletion_check: Text | None = None
    """When deletion is checked, in the policy's words ("monthly on the 1st")."""


class ClockPolicy(Model):
    max_drift_seconds: float = Field(default=5.0, gt=0, le=86400)
    ntp_required: bool = True


class ApprovedFirmware(Model):
    manufacturer: Text
    model: Text | None = None
    versions: tuple[Text, ...] = ()
    """Exact firmware versions approved; empty approves any version."""


class EquipmentPolicy(Model):
    require_authentication: bool = True
    approved_vendors: tuple[Text, ...] = ()
    """Manufacturers approved for the fleet; empty approves any."""
    approved_firmware: tuple[ApprovedFirmware, ...] = ()


class AccessRequestPolicy(Model):
    answer_within_days: int = Field(default=10, ge=1, le=90)


class Policy(Model):
    schema_version: Literal[1]
    policy_id: Slug
    version: Text
    """The policy's revision label, e.g. its revision date."""
    effective_from: date
    organisation: Organisation
    legal_basis: tuple[Text, ...] = Field(min_length=1)
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    purposes_text: Text | None = None
    """The purposes in the policy's own words."""
    recording: RecordingPolicy = RecordingPolicy()
    audio: AudioRule = "forbidden"
    retention: RetentionPolicy
    clock: ClockPolicy = ClockPolicy()
    equipment: EquipmentPolicy = EquipmentPolicy()
    access_requests: AccessRequestPolicy = AccessRequestPolicy()
    roles: tuple[Role, ...] = Field(min_length=1)
    sites: tuple[Site, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        _unique("site id", [s.id for s in self.sites])
        _unique("camera id", [c.id for _, c in self.cameras()])
        for key in ("serial", "mac", "endpoint_reference", "address"):
            values = [getattr(c.identity, key) for _, c in self.cameras()]
            values += [getattr(f.identity, key) for s in self.sites for f in s.foreign_cameras]
            _unique(f"identity {key}", [v for v in values if v is not None])
        site_ids = {s.id for s in self.sites}
        for role in self.roles:
            unknown = sorted(set(role.sites) - site_ids)
            if unknown:
                raise ValueError(f"role {role.role!r} names unknown site(s) {unknown}")
        return self

    def site(self, site_id: str) -> Site:
        for site in self.sites:
            if site.id == site_id:
                return site
        raise KeyError(site_id)

    def cameras(self) -> Iterator[tuple[Site, DeclaredCamera]]:
        for site in self.sites:
            for camera in site.cameras:
                yield site, camera

    def audio_rule(self, camera: DeclaredCamera) -> AudioRule:
        return camera.audio or self.audio


def _unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is declared twice")
        seen.add(value)
