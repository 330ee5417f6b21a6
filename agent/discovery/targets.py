"""Pure: ProbeMatches -> devices (one per endpoint reference) -> audit targets.

An XAddr is a URL a device *claims*; several may be listed (one per
interface, IPv4 and IPv6, sometimes a NAT-side or stale address). The one
to audit is the one on a host that demonstrably answered us (the source of
its ProbeMatch), else the first usable one. IPv6 link-local XAddrs
(``fe80::``) need a zone to be reached and are skipped unless asked for.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from agent.onvif.wsdiscovery import ProbeMatch
from schemas.discovery import DiscoveredDevice


def _host_port(xaddr: str, *, allow_link_local: bool) -> tuple[str, str] | None:
    """(host, "host:port") of an http(s) XAddr, or None if unusable."""
    try:
        parts = urlsplit(xaddr)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return None
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        ip = None  # a DNS name
    if ip is not None and ip.is_unspecified:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_link_local and not allow_link_local:
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    shown = f"[{host}]" if ip is not None and ip.version == 6 else host
    return host, f"{shown}:{port}"


def choose_target(xaddrs: Sequence[str], answered_from: Iterable[str] = (), *,
                  allow_link_local: bool = False) -> str | None:
    """``host:port`` to audit: http before https, a host that answered the
    probe before one that did not, otherwise advertised order. None if no
    XAddr is usable."""
    sources = set(answered_from)
    usable = []
    for index, xaddr in enumerate(xaddrs):
        found = _host_port(xaddr, allow_link_local=allow_link_local)
        if found is not None:
            host, target = found
            usable.append((not xaddr.startswith("http:"), host not in sources, index, target))
    return min(usable)[3] if usable else None


def _union(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for group in groups for item in group))


def merge_devices(answers: Iterable[tuple[ProbeMatch, str]], *,
                  allow_link_local: bool = False) -> tuple[DiscoveredDevice, ...]:
    """One device per endpoint reference from (match, source IP) pairs, in
    order of first answer; repeats and answers on several interfaces merge
    their XAddrs, scopes, types and sources."""
    merged: dict[str, DiscoveredDevice] = {}
    for match, source in answers:
        known = merged.get(match.endpoint_reference)
        if known is None:
            known = DiscoveredDevice(endpoint_reference=match.endpoint_reference, xaddrs=())
        versions = [v for v in (known.metadata_version, match.metadata_version) if v is not None]
        merged[match.endpoint_reference] = known.model_copy(update={
            "xaddrs": _union(known.xaddrs, match.xaddrs),
            "scopes": _union(known.scopes, match.scopes),
            "types": _union(known.types, match.types),
            "metadata_version": max(versions) if versions else None,
            "answered_from": _union(known.answered_from, [source]),
        })
    return tuple(
        device.model_copy(update={"target": choose_target(
            device.xaddrs, device.answered_from, allow_link_local=allow_link_local)})
        for device in merged.values()
    )


def merge_targets(declared: Sequence[str], devices: Iterable[DiscoveredDevice]
                  ) -> tuple[str, ...]:
    """The declared targets, then each discovered device's target not
    already among them (a device answering for a declared address is not
    audited twice)."""
    return _union(declared, (d.target for d in devices if d.target is not None))
