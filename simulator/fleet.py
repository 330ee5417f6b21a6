"""The simulated fleet a policy declares, plus the deviations a fleet file
injects.

``build_cameras(policy)`` gives the compliant fleet: every declared camera,
with the declared serial (or ``SIM-<CAMERA-ID>``), MAC and endpoint
reference (or stable derived ones), an approved vendor and firmware when
the policy lists any, a PTZ node only where ``ptz.approved`` (resting at the
home preset, holding exactly the approved presets), MaximumRetentionTime of
the policy's retention days, footage six hours younger than that, recording
active, the clock exact with NTP on, no audio, credentials required.
Cameras matched only by ``identity.address`` are not reproduced at that
address: the simulator picks free ports.

A fleet file (YAML) then changes chosen cameras and adds undeclared ones::

    schema_version: 1
    deviations:
      test-main-cam1:
        audio_encoder: true          # a media profile streams audio (source + encoder)
        audio_track: true            # the recording holds an Audio track
        audio_sources: 1             # audio inputs present (default 1 with audio_encoder)
        ptz_node: true               # a PTZ node on a camera not approved for PTZ
        ptz_position: {pan: 0.9, tilt: 0.2, zoom: 0.5}   # moved off its preset
        ptz_extra_presets: [{name: parking, pan: -0.5, tilt: 0.0}]
        recording: stopped           # job mode and state Idle (default active)
        max_retention_days: 90       # MaximumRetentionTime; 0 = unlimited
        footage_days: 45             # oldest footage age (DataFrom)
        data_until_lag_minutes: 120  # newest footage lags behind now (DataUntil)
        clock_offset_s: 600          # camera clock ahead (negative: behind)
        ntp: false                   # DateTimeType Manual, no NTP server
        anonymous: true              # answers without credentials
        manufacturer: Other Vendor   # also model, firmware
      test-annex-cam1:
        absent: true                 # declared but not served
    undeclared:
      - {site: test-main, serial: ROGUE-0001, manufacturer: Generic, model: IPC-1}

Every key is optional; unknown keys are errors. A camera id or site that
the policy does not declare, a PTZ deviation on a camera without a PTZ node,
or an undeclared serial that clashes with a declared one are errors naming
the file, line and field.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, StringConstraints, model_validator

from schemas.base import Model
from schemas.errors import ConfigError
from schemas.policy import DeclaredCamera, Policy, Slug, Text
from schemas.policy_file import load_model
from simulator.camera import (
    DAY_S,
    SimCamera,
    SimPreset,
    SimPtz,
    derived_endpoint_reference,
    derived_mac,
)

DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "camwarden-sim"
DEFAULT_VENDOR = ("SimVision", "SV-2000", "1.0.0")
FOOTAGE_MARGIN_DAYS = 0.25
"""A compliant camera's oldest footage is this much younger than retention."""

Mac = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")]


class Position(Model):
    pan: float = Field(ge=-1, le=1)
    tilt: float = Field(ge=-1, le=1)
    zoom: float = Field(default=0.0, ge=0, le=1)


class ExtraPreset(Position):
    name: Text


class Deviation(Model):
    """How one declared camera departs from the compliant fleet."""

    absent: bool = False
    anonymous: bool = False
    audio_sources: int | None = Field(default=None, ge=0, le=16)
    audio_encoder: bool = False
    audio_track: bool = False
    ptz_node: bool = False
    ptz_position: Position | None = None
    ptz_extra_presets: tuple[ExtraPreset, ...] = ()
    recording: Literal["active", "stopped"] = "active"
    max_retention_days: int | None = Field(default=None, ge=0, le=36500)
    footage_days: float | None = Field(default=None, ge=0, le=36500)
    data_until_lag_minutes: float = Field(default=0.0, ge=0)
    clock_offset_s: float = Field(default=0.0, ge=-10 * 365 * DAY_S, le=10 * 365 * DAY_S)
    ntp: bool = True
    manufacturer: Text | None = None
    model: Text | None = None
    firmware: Text | None = None

    @model_validator(mode="after")
    def _absent_alone(self) -> Deviation:
        if self.absent and self.model_fields_set - {"absent"}:
            others = ", ".join(sorted(self.model_fields_set - {"absent"}))
            raise ValueError(f"an absent camera is not served; drop {others}")
        return self


class Undeclared(Model):
    """A device on the network that the policy does not declare."""

    site: Slug
    serial: Text
    manufacturer: Text = "Generic"
    model: Text = "IPC"
    firmware: Text = "1.0.0"
    mac: Mac | None = None
    anonymous: bool = False


class FleetFile(Model):
    schema_version: Literal[1] = 1
    deviations: dict[Slug, Deviation] = Field(default_factory=dict)
    undeclared: tuple[Undeclared, ...] = ()


def load_fleet(path: Path, policy: Policy | None = None) -> FleetFile:
    """Load a fleet file; ``ConfigError`` lines read ``FILE:LINE: FIELD:
    what is wrong``. With ``policy`` the file is also checked against it
    (camera ids, sites, serials, PTZ), with the same line numbers."""
    fleet = load_model(path, FleetFile)
    if policy is not None:
        problems = fleet_problems(fleet, policy)
        if problems:
            root = _compose(path)
            lines = (f"{path}:{_line(root, loc)}: {_dotted(loc)}: {msg}" for loc, msg in problems)
            raise ConfigError("\n".join(lines))
    return fleet


def fleet_problems(fleet: FleetFile, policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    """What in ``fleet`` does not fit ``policy``, as (location, message)."""
    declared = {camera.id: camera for _, camera in policy.cameras()}
    sites = {site.id for site in policy.sites}
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for camera_id, deviation in fleet.deviations.items():
        camera = declared.get(camera_id)
        if camera is None:
            problems.append(
                (("deviations", camera_id), f"camera id {camera_id!r} is not declared in policy "
                 f"{policy.policy_id}")
            )
            continue
        has_node = camera.ptz.approved or deviation.ptz_node
        for key in ("ptz_position", "ptz_extra_presets"):
            if key in deviation.model_fields_set and not has_node:
                problems.append(
                    (("deviations", camera_id, key), f"camera {camera_id} has no PTZ node "
                     "(not approved for PTZ); add ptz_node: true")
                )
    serials = {_serial(camera) for camera in declared.values()}
    for index, extra in enumerate(fleet.undeclared):
        if extra.site not in sites:
            problems.append(
                (("undeclared", index, "site"), f"site {extra.site!r} is not in policy "
                 f"{policy.policy_id}")
            )
        if extra.serial in serials:
            problems.append(
                (("undeclared", index, "serial"), f"serial {extra.serial!r} belongs to a "
                 "declared camera")
            )
        serials.add(extra.serial)
    return problems


def build_cameras(
    policy: Policy,
    fleet: FleetFile | None = None,
    *,
    password: str = DEFAULT_PASSWORD,
    username: str = DEFAULT_USERNAME,
    sites: Collection[str] | None = None,
) -> list[SimCamera]:
    """The cameras to serve: the compliant fleet ``policy`` declares with
    ``fleet``'s deviations applied and its undeclared devices added, limited
    to ``sites`` when given. Raises ``ConfigError`` when the fleet does not
    fit the policy or a site is unknown."""
    fleet = fleet or FleetFile()
    problems = fleet_problems(fleet, policy)
    if problems:
        raise ConfigError(
            "\n".join(f"fleet file: {_dotted(loc)}: {msg}" for loc, msg in problems)
        )
    known_sites = {site.id for site in policy.sites}
    unknown = sorted(set(sites or ()) - known_sites)
    if unknown:
        raise ConfigError(f"site(s) {unknown} are not in policy {policy.policy_id}")
    wanted = known_sites if sites is None else set(sites)
    manufacturer, model, firmware = _vendor(policy)
    cameras: list[SimCamera] = []
    for site, declared in policy.cameras():
        if site.id not in wanted:
            continue
        deviation = fleet.deviations.get(declared.id, Deviation())
        if deviation.absent:
            continue
        serial = _serial(declared)
        camera = SimCamera(
            site_id=site.id,
            camera_id=declared.id,
            serial=serial,
            manufacturer=manufacturer,
            model=model,
            firmware=firmware,
            mac=declared.identity.mac or derived_mac(serial),
            endpoint_reference=declared.identity.endpoint_reference
            or derived_endpoint_reference(serial),
            username=username,
            password=password,
            ptz=_approved_ptz(declared),
            max_retention_s=policy.retention.days * DAY_S,
            footage_days=policy.retention.days - FOOTAGE_MARGIN_DAYS,
            hostname=declared.id,
        )
        _apply(camera, deviation)
        cameras.append(camera)
    for extra in fleet.undeclared:
        if extra.site not in wanted:
            continue
        cameras.append(
            SimCamera(
                site_id=extra.site,
                camera_id=None,
                serial=extra.serial,
                manufacturer=extra.manufacturer,
                model=extra.model,
                firmware=extra.firmware,
                mac=extra.mac or derived_mac(extra.serial),
                endpoint_reference=derived_endpoint_reference(extra.serial),
                username=username,
                password=password,
                anonymous=extra.anonymous,
                max_retention_s=policy.retention.days * DAY_S,
                footage_days=policy.retention.days - FOOTAGE_MARGIN_DAYS,
                hostname=extra.serial.lower(),
            )
        )
    return cameras


def _serial(camera: DeclaredCamera) -> str:
    return camera.identity.serial or f"SIM-{camera.id.upper()}"


def _vendor(policy: Policy) -> tuple[str, str, str]:
    """An approved (manufacturer, model, firmware), or the default."""
    equipment = policy.equipment
    if equipment.approved_firmware:
        approved = equipment.approved_firmware[0]
        version = approved.versions[0] if approved.versions else DEFAULT_VENDOR[2]
        return approved.manufacturer, approved.model or DEFAULT_VENDOR[1], version
    if equipment.approved_vendors:
        return equipment.approved_vendors[0], DEFAULT_VENDOR[1], DEFAULT_VENDOR[2]
    return DEFAULT_VENDOR


def _approved_ptz(camera: DeclaredCamera) -> SimPtz | None:
    if not camera.ptz.approved:
        return None
    presets = [
        SimPreset(f"preset_{n}", p.name, p.pan, p.tilt, p.zoom)
        for n, p in enumerate(camera.ptz.presets, start=1)
    ]
    home = camera.ptz.home() or (camera.ptz.presets[0] if camera.ptz.presets else None)
    if home is None:
        return SimPtz(presets=presets)
    return SimPtz(pan=home.pan, tilt=home.tilt, zoom=home.zoom, presets=presets)


def _apply(camera: SimCamera, deviation: Deviation) -> None:
    camera.anonymous = deviation.anonymous
    camera.audio_encoder = deviation.audio_encoder
    camera.audio_track = deviation.audio_track
    if deviation.audio_sources is not None:
        camera.audio_sources = deviation.audio_sources
    elif deviation.audio_encoder or deviation.audio_track:
        camera.audio_sources = 1
    if deviation.ptz_node and camera.ptz is None:
        camera.ptz = SimPtz()
    if camera.ptz is not None:
        if deviation.ptz_position is not None:
            position = deviation.ptz_position
            camera.ptz.pan, camera.ptz.tilt, camera.ptz.zoom = (
                position.pan, position.tilt, position.zoom,
            )
        start = len(camera.ptz.presets) + 1
        camera.ptz.presets.extend(
            SimPreset(f"preset_{n}", p.name, p.pan, p.tilt, p.zoom)
            for n, p in enumerate(deviation.ptz_extra_presets, start=start)
        )
    camera.recording_active = deviation.recording == "active"
    if deviation.max_retention_days is not None:
        camera.max_retention_s = deviation.max_retention_days * DAY_S
    if deviation.footage_days is not None:
        camera.footage_days = deviation.footage_days
    camera.data_until_lag_s = deviation.data_until_lag_minutes * 60
    camera.clock_offset_s = deviation.clock_offset_s
    camera.ntp = deviation.ntp
    camera.manufacturer = deviation.manufacturer or camera.manufacturer
    camera.model = deviation.model or camera.model
    camera.firmware = deviation.firmware or camera.firmware


def _dotted(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _compose(path: Path) -> yaml.Node | None:
    """The YAML node tree of a file that already loaded once."""
    return yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)


def _line(root: yaml.Node | None, loc: tuple[str | int, ...]) -> int:
    """1-based line of the deepest node along ``loc`` (the key's line for
    a mapping entry, so an unknown id points at the id itself)."""
    node = root
    line = 1 if node is None else node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    child, line = value_node, key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                child = node.value[part]
                line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
