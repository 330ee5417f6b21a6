"""Pure conversions from zeep answers to our facts.

zeep hands back ``CompoundValue`` objects (attribute access), lists, and
Python scalars; with lenient parsing any element may be missing. Every
function here reads defensively (``pick``), never raises for an absent
element, and returns our frozen models. Vendor quirks live here, once:
MAC spellings, wrong XAddr hosts, naive datetimes, durations as
``timedelta`` or ``isodate.Duration``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from urllib.parse import urlsplit, urlunsplit

import isodate  # type: ignore[import-untyped]

from schemas.facts import (
    AudioFacts,
    ClockFacts,
    DeviceInfo,
    PtzPosition,
    PtzPresetFact,
    RecordingFact,
    RecordingJobFact,
    TrackFact,
    TrackType,
)


def pick(obj: Any, *path: str) -> Any:
    """``obj.a.b.c``, or None as soon as a step is missing."""
    for name in path:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return obj


def as_list(value: Any) -> list[Any]:
    """A repeated element as a list (zeep gives a list, a single item or None)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def text(value: Any) -> str:
    """A string field, stripped; absent becomes ""."""
    return "" if value is None else str(value).strip()


def as_utc(value: Any) -> datetime | None:
    """An xs:dateTime as aware UTC. A camera that omits the zone means UTC
    (ONVIF times are UTC); anything not a datetime is unknown."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def camera_utc(system_date_and_time: Any) -> datetime | None:
    """The camera's UTC time from GetSystemDateAndTime, or None if absent/invalid."""
    utc = pick(system_date_and_time, "UTCDateTime")
    date, time = pick(utc, "Date"), pick(utc, "Time")
    parts = (pick(date, "Year"), pick(date, "Month"), pick(date, "Day"),
             pick(time, "Hour"), pick(time, "Minute"), pick(time, "Second"))
    if any(not isinstance(part, int) for part in parts):
        return None
    year, month, day, hour, minute, second = parts
    try:
        # Some firmwares overflow fields (Second=60, Minute=61): carry them.
        base = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None
    return base + timedelta(hours=hour, minutes=minute, seconds=second)


def clock_facts(system_date_and_time: Any, observed_at: datetime,
                ntp_servers: tuple[str, ...] = ()) -> ClockFacts | None:
    """ClockFacts from GetSystemDateAndTime; None if the camera gave no UTC time."""
    utc = camera_utc(system_date_and_time)
    if utc is None:
        return None
    kind = text(pick(system_date_and_time, "DateTimeType"))
    return ClockFacts(observed_at=observed_at, camera_utc=utc,
                      ntp=(kind.upper() == "NTP") if kind else None, ntp_servers=ntp_servers)


def ntp_servers(ntp_information: Any) -> tuple[str, ...]:
    """NTP servers from GetNTP: DHCP-provided ones and manual ones, in order, once each."""
    hosts = as_list(pick(ntp_information, "NTPFromDHCP")) + as_list(
        pick(ntp_information, "NTPManual"))
    found: list[str] = []
    for host in hosts:
        name = (text(pick(host, "DNSname")) or text(pick(host, "IPv4Address"))
                or text(pick(host, "IPv6Address")))
        if name and name not in found:
            found.append(name)
    return tuple(found)


def device_info(reply: Any) -> DeviceInfo:
    """DeviceInfo from GetDeviceInformation; absent fields become ""."""
    return DeviceInfo(manufacturer=text(pick(reply, "Manufacturer")),
                      model=text(pick(reply, "Model")),
                      firmware=text(pick(reply, "FirmwareVersion")),
                      serial=text(pick(reply, "SerialNumber")),
                      hardware_id=text(pick(reply, "HardwareId")))


def endpoint_reference(reply: Any) -> str | None:
    """GetEndpointReference's GUID (zeep gives the response object, or the
    bare string when a firmware sends only text)."""
    value = reply if isinstance(reply, str) else pick(reply, "GUID")
    return text(value) or None


_HEX12 = re.compile(r"^[0-9a-f]{12}$")


def normalise_mac(raw: Any) -> str | None:
    """``00-1A-2B-3C-4D-5E``, ``001a2b3c4d5e``, ``00:1A:...`` -> ``00:1a:2b:3c:4d:5e``."""
    digits = re.sub(r"[\s:.\-]", "", text(raw).lower())
    if not _HEX12.match(digits) or digits == "0" * 12:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def macs(interfaces: Any) -> tuple[str, ...]:
    """MACs of GetNetworkInterfaces, normalised, in order, once each."""
    found: list[str] = []
    for interface in as_list(interfaces):
        mac = normalise_mac(pick(interface, "Info", "HwAddress"))
        if mac and mac not in found:
            found.append(mac)
    return tuple(found)


def fix_xaddr(xaddr: Any, base_url: str) -> str | None:
    """An advertised XAddr moved onto the scheme and host:port we reached.

    Cameras advertise private, NAT-side or simply wrong hosts (``0.0.0.0``,
    ``192.168.1.64``, a doubled port); the path is what identifies the
    service. None when the XAddr has no usable path.
    """
    raw = text(xaddr).split()[0] if text(xaddr) else ""
    if not raw:
        return None
    try:
        parts = urlsplit(raw)
    except ValueError:
        return None
    if not parts.path or not parts.path.startswith("/"):
        return None
    base = urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def xaddrs_from_services(services: Any, base_url: str) -> dict[str, str]:
    """GetServices -> {namespace: fixed XAddr}."""
    found: dict[str, str] = {}
    for service in as_list(services):
        namespace = text(pick(service, "Namespace"))
        xaddr = fix_xaddr(pick(service, "XAddr"), base_url)
        if namespace and xaddr and namespace not in found:
            found[namespace] = xaddr
    return found


CAPABILITY_PATHS: dict[str, tuple[str, ...]] = {
    "http://www.onvif.org/ver10/device/wsdl": ("Device", "XAddr"),
    "http://www.onvif.org/ver10/media/wsdl": ("Media", "XAddr"),
    "http://www.onvif.org/ver20/ptz/wsdl": ("PTZ", "XAddr"),
    "http://www.onvif.org/ver10/recording/wsdl": ("Extension", "Recording", "XAddr"),
    "http://www.onvif.org/ver10/search/wsdl": ("Extension", "Search", "XAddr"),
}


def _any_child_xaddr(parent: Any, name: str) -> Any:
    """The XAddr of a capability zeep left as a raw element: CapabilitiesExtension
    opens with ``xs:any``, which swallows Recording and Search whole."""
    for element in as_list(pick(parent, "_value_1")):
        tag = getattr(element, "tag", None)
        if isinstance(tag, str) and tag.rsplit("}", 1)[-1] == name:
            found = element.find("{*}XAddr")
            return None if found is None else found.text
    return None


def xaddrs_from_capabilities(capabilities: Any, base_url: str) -> dict[str, str]:
    """GetCapabilities (the pre-GetServices way) -> {namespace: fixed XAddr}."""
    found: dict[str, str] = {}
    for namespace, path in CAPABILITY_PATHS.items():
        raw = pick(capabilities, *path)
        if raw is None and path[0] == "Extension":
            raw = _any_child_xaddr(pick(capabilities, "Extension"), path[1])
        xaddr = fix_xaddr(raw, base_url)
        if xaddr:
            found[namespace] = xaddr
    return found


def audio_facts(profiles: Any, sources: int) -> AudioFacts:
    """Which media profiles carry audio encoder/source configurations."""
    encoders: list[str] = []
    audio_sources: list[str] = []
    for profile in as_list(profiles):
        token = text(pick(profile, "token"))
        if pick(profile, "AudioEncoderConfiguration") is not None:
            encoders.append(token)
        if pick(profile, "AudioSourceConfiguration") is not None:
            audio_sources.append(token)
    return AudioFacts(sources=sources, encoder_profiles=tuple(encoders),
                      source_profiles=tuple(audio_sources))


def ptz_profile_token(profiles: Any) -> str | None:
    """The first media profile bound to a PTZ configuration (GetStatus needs one)."""
    for profile in as_list(profiles):
        if pick(profile, "PTZConfiguration") is not None:
            return text(pick(profile, "token")) or None
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def ptz_position(vector: Any) -> PtzPosition | None:
    """A PTZVector (PanTilt x/y, Zoom x; either may be missing) or None if empty."""
    if vector is None:
        return None
    position = PtzPosition(pan=_float(pick(vector, "PanTilt", "x")),
                           tilt=_float(pick(vector, "PanTilt", "y")),
                           zoom=_float(pick(vector, "Zoom", "x")))
    if position.pan is None and position.tilt is None and position.zoom is None:
        return None
    return position


def ptz_moving(status: Any) -> bool | None:
    """True if pan/tilt or zoom reports MOVING; None if the camera says nothing."""
    states = [text(pick(status, "MoveStatus", axis)).upper() for axis in ("PanTilt", "Zoom")]
    states = [state for state in states if state]
    if not states:
        return None
    return any(state == "MOVING" for state in states)


def ptz_presets(presets: Any) -> tuple[PtzPresetFact, ...]:
    return tuple(
        PtzPresetFact(token=text(pick(preset, "token")), name=text(pick(preset, "Name")),
                      position=ptz_position(pick(preset, "PTZPosition")))
        for preset in as_list(presets)
    )


def duration_seconds(value: Any, reference: datetime) -> int | None:
    """An xs:duration in whole seconds; calendar parts (P1M, P1Y) are counted
    from ``reference``. Strings are parsed; anything else is unknown."""
    if isinstance(value, str):
        try:
            value = isodate.parse_duration(value.strip())
        except (isodate.ISO8601Error, ValueError):
            return None
    if isinstance(value, isodate.Duration):
        value = value.totimedelta(start=reference)
    if isinstance(value, timedelta):
        return max(0, round(value.total_seconds()))
    return None


_TRACK_TYPES = frozenset(get_args(TrackType))


def track_type(value: Any) -> TrackType:
    """A TrackType; vendor spellings outside the enum count as "Extended"."""
    raw = text(value)
    for known in _TRACK_TYPES:
        if raw.lower() == known.lower():
            return known  # type: ignore[no-any-return]
    return "Extended"


def recording_fact(item: Any, reference: datetime, data_from: datetime | None = None,
                   data_until: datetime | None = None) -> RecordingFact:
    """A GetRecordings item (and, if known, its GetRecordingInformation span)."""
    tracks = tuple(
        TrackFact(token=text(pick(track, "TrackToken")),
                  type=track_type(pick(track, "Configuration", "TrackType")))
        for track in as_list(pick(item, "Tracks", "Track"))
    )
    retention = duration_seconds(pick(item, "Configuration", "MaximumRetentionTime"), reference)
    return RecordingFact(token=text(pick(item, "RecordingToken")),
                         max_retention_seconds=retention, tracks=tracks,
                         data_from=data_from, data_until=data_until)


def recording_job(item: Any, state: str | None) -> RecordingJobFact:
    """A GetRecordingJobs item with the state GetRecordingJobState gave (or None)."""
    return RecordingJobFact(token=text(pick(item, "JobToken")),
                            recording_token=text(pick(item, "JobConfiguration",
                                                      "RecordingToken")),
                            mode=text(pick(item, "JobConfiguration", "Mode")),
                            state=state)


def job_state(state_information: Any) -> str | None:
    return text(pick(state_information, "State")) or None


def span(info: Any, first: str, last: str) -> tuple[datetime | None, datetime | None]:
    """Two datetime fields of a summary or recording information, as UTC."""
    return as_utc(pick(info, first)), as_utc(pick(info, last))


def tokens(items: Iterable[Any], field: str) -> tuple[str, ...]:
    return tuple(t for t in (text(pick(item, field)) for item in items) if t)
