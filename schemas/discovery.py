"""What WS-Discovery found: one device per endpoint reference.

Built by ``agent.discovery`` from ProbeMatches (never a SOAP object), printed
by ``camwarden discover --json`` (one object per line), and turned into audit
targets (``host:port``) for the agent's cycles.
"""

from __future__ import annotations

from schemas.base import Model


class DiscoveredDevice(Model):
    endpoint_reference: str
    """The device's stable identity (``urn:uuid:...``): what de-duplicates
    answers to several probes, interfaces and repeats."""
    xaddrs: tuple[str, ...]
    """Device service URLs as advertised, in order, once each (may include
    private, wrong or IPv6 link-local hosts: see ``target``)."""
    scopes: tuple[str, ...] = ()
    """``onvif://www.onvif.org/...`` scope URIs (name, location, hardware)."""
    types: tuple[str, ...] = ()
    """Advertised types as sent (``dn:NetworkVideoTransmitter``, ``tds:Device``)."""
    metadata_version: int | None = None
    answered_from: tuple[str, ...] = ()
    """IP addresses the ProbeMatches came from: hosts known to be reachable."""
    target: str | None = None
    """``host:port`` to audit, chosen from ``xaddrs`` (see
    ``agent.discovery.targets.choose_target``); None when no XAddr is usable."""
