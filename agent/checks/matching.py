"""Which declared (or foreign) camera an observed device is.

``SiteIndex`` is built once per site and answers in O(1) per device, so that
matching a fleet is linear in its size. Keys, strongest first: serial number,
MAC address, WS-Discovery endpoint reference, address. A declared address is
either ``host:port`` (that port only) or ``host`` (any port of that host).

A device matches the first entry found by its strongest key, *unless a key
known on both sides contradicts it*: a device answering at Cam2's address with
another serial number is not Cam2 (the camera was swapped), so it is reported
as undeclared and Cam2 as missing, rather than silently accepted.

Normalisation: serials and endpoint references are stripped (references also
lower-cased: they are URNs of UUIDs), MACs lower-cased, hosts lower-cased and
IPv6 brackets removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

from schemas.facts import ObservedIdentity
from schemas.policy import DeclaredCamera, ForeignCamera, Identity, Site


@dataclass(frozen=True, slots=True)
class Match:
    """What an observed device is: a declared camera, a foreign camera (not
    ours to judge), or unknown (undeclared)."""

    kind: Literal["declared", "foreign", "unknown"]
    camera: DeclaredCamera | None = None
    foreign: ForeignCamera | None = None


UNKNOWN = Match("unknown")
_K = TypeVar("_K")
_NO_MACS: frozenset[str] = frozenset()


def split_address(address: str) -> tuple[str, str | None]:
    """``(host, port)`` of ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6
    address; host lower-cased without brackets, port None when absent."""
    text = address.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") and len(rest) > 1 else None
        return host.lower(), port
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host.lower(), port or None
    return text.lower(), None


@dataclass(frozen=True, slots=True)
class _Entry:
    match: Match
    serial: str | None
    macs: frozenset[str]
    endpoint_reference: str | None


def _serial(value: str) -> str:
    return value.strip()


def _reference(value: str) -> str:
    return value.strip().lower()


class SiteIndex:
    """O(1) lookups of a site's declared and foreign cameras by identity key."""

    __slots__ = (
        "_by_address", "_by_host", "_by_id", "_by_mac", "_by_reference", "_by_serial",
        "_foreign", "_matches", "site",
    )

    def __init__(self, site: Site) -> None:
        self.site = site
        self._by_serial: dict[str, _Entry] = {}
        self._by_mac: dict[str, _Entry] = {}
        self._by_reference: dict[str, _Entry] = {}
        self._by_address: dict[tuple[str, str], _Entry] = {}
        self._by_host: dict[str, _Entry] = {}
        self._by_id: dict[str, DeclaredCamera] = {camera.id: camera for camera in site.cameras}
        self._matches: dict[str, Match] = {}
        for camera in site.cameras:
            self._matches[camera.id] = match = Match("declared", camera=camera)
            self._add(camera.identity, match)
        self._foreign = tuple(Match("foreign", foreign=f) for f in site.foreign_cameras)
        for match in self._foreign:
            assert match.foreign is not None
            self._add(match.foreign.identity, match)

    def _add(self, identity: Identity, match: Match) -> None:
        entry = _Entry(
            match=match,
            serial=_serial(identity.serial) if identity.serial else None,
            macs=frozenset({identity.mac.lower()}) if identity.mac else _NO_MACS,
            endpoint_reference=(
                _reference(identity.endpoint_reference) if identity.endpoint_reference else None
            ),
        )
        if entry.serial:
            _put(self._by_serial, entry.serial, entry, "serial", self.site.id)
        for mac in entry.macs:
            _put(self._by_mac, mac, entry, "mac", self.site.id)
        if entry.endpoint_reference:
            _put(self._by_reference, entry.endpoint_reference, entry, "endpoint_reference",
                 self.site.id)
        if identity.address:
            host, port = split_address(identity.address)
            if port is None:
                _put(self._by_host, host, entry, "address", self.site.id)
            else:
                _put(self._by_address, (host, port), entry, "address", self.site.id)

    def match(self, identity: ObservedIdentity) -> Match:
        """The camera ``identity`` belongs to (see the module doc for the rules)."""
        serial = _serial(identity.serial) if identity.serial else None
        macs = frozenset(m.lower() for m in identity.macs) if identity.macs else _NO_MACS
        reference = (
            _reference(identity.endpoint_reference) if identity.endpoint_reference else None
        )
        # Strongest key first; the address (the cheapest to fake) last.
        if serial:
            entry = self._by_serial.get(serial)
            if entry is not None and _consistent(entry, serial, macs, reference):
                return entry.match
        for mac in macs:
            entry = self._by_mac.get(mac)
            if entry is not None and _consistent(entry, serial, macs, reference):
                return entry.match
        if reference:
            entry = self._by_reference.get(reference)
            if entry is not None and _consistent(entry, serial, macs, reference):
                return entry.match
        for entry in self._address_entries(identity.address):
            if entry is not None and _consistent(entry, serial, macs, reference):
                return entry.match
        return UNKNOWN

    def match_address(self, address: str) -> Match:
        """The camera declared at ``address`` (for a device that did not answer,
        so that nothing else is known about it)."""
        for entry in self._address_entries(address):
            if entry is not None:
                return entry.match
        return UNKNOWN

    def declared(self, camera_id: str) -> DeclaredCamera | None:
        """The site's declared camera with this id, if the (current) policy has it."""
        return self._by_id.get(camera_id)

    def declared_match(self, camera_id: str) -> Match | None:
        """``match``'s answer for the declared camera ``camera_id`` (the same
        object), if the policy has it."""
        return self._matches.get(camera_id)

    def foreign_match(self, position: int) -> Match | None:
        """``match``'s answer for the site's foreign camera at ``position``
        (in ``site.foreign_cameras``), if there is one."""
        return self._foreign[position] if 0 <= position < len(self._foreign) else None

    def foreign_position(self, match: Match) -> int:
        """Where ``match``'s foreign camera is in ``site.foreign_cameras``;
        ValueError if it is not one of this site's."""
        for position, held in enumerate(self._foreign):
            if held.foreign == match.foreign:
                return position
        raise ValueError(f"{match!r} is not a foreign camera of site {self.site.id!r}")

    def _address_entries(self, address: str) -> tuple[_Entry | None, _Entry | None]:
        host, port = split_address(address)
        exact = self._by_address.get((host, port)) if port is not None else None
        return exact, self._by_host.get(host)


def _consistent(
    entry: _Entry, serial: str | None, macs: frozenset[str], reference: str | None
) -> bool:
    """No key known on both sides disagrees."""
    if serial and entry.serial and serial != entry.serial:
        return False
    if macs and entry.macs and not (macs & entry.macs):
        return False
    return not (reference and entry.endpoint_reference and reference != entry.endpoint_reference)


def _put(table: dict[_K, _Entry], key: _K, entry: _Entry, what: str, site_id: str) -> None:
    if key in table:
        raise ValueError(
            f"site {site_id!r}: identity {what} {key!r} names two cameras once normalised"
        )
    table[key] = entry
