"""WS-Discovery (2005/04, as ONVIF uses it) messages: build a Probe, read ProbeMatches.

Pure functions over bytes; the sockets live in ``agent.discovery``. Here
because only ``agent.onvif`` parses XML. Datagrams come from anyone on the
network, so parsing is strict and closed: no DTD, no entities, no network,
a size cap, and anything that is not a ProbeMatches answering *our*
MessageID is ignored (returns ``()``), never raised.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from lxml import etree

SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
WSA_NS = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSD_NS = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
DN_NS = "http://www.onvif.org/ver10/network/wsdl"
TDS_NS = "http://www.onvif.org/ver10/device/wsdl"
DISCOVERY_TO = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
PROBE_ACTION = f"{WSD_NS}/Probe"
PROBE_MATCHES_ACTION = f"{WSD_NS}/ProbeMatches"
MULTICAST_V4 = "239.255.255.250"
PORT = 3702
MAX_DATAGRAM = 65_507

NETWORK_VIDEO_TRANSMITTER = "dn:NetworkVideoTransmitter"
"""The type ONVIF devices answer to (``tds:Device`` too, from ONVIF 2.x)."""

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, recover=False, remove_comments=True)
_PREFIXES = {"dn": DN_NS, "tds": TDS_NS}


@dataclass(frozen=True, slots=True)
class ProbeMatch:
    """One ProbeMatch as sent (lists in order, unparsed URIs)."""

    endpoint_reference: str
    types: tuple[str, ...]
    scopes: tuple[str, ...]
    xaddrs: tuple[str, ...]
    metadata_version: int | None


def new_message_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def probe(message_id: str, types: tuple[str, ...] = (NETWORK_VIDEO_TRANSMITTER,)) -> bytes:
    """A SOAP 1.2 Probe for ``types`` (``dn:`` and ``tds:`` prefixes are
    declared; an empty tuple probes for every device)."""
    nsmap = {"soap": SOAP12_NS, "wsa": WSA_NS, "wsd": WSD_NS, **_PREFIXES}
    envelope = etree.Element(f"{{{SOAP12_NS}}}Envelope", nsmap=nsmap)
    header = etree.SubElement(envelope, f"{{{SOAP12_NS}}}Header")
    etree.SubElement(header, f"{{{WSA_NS}}}MessageID").text = message_id
    etree.SubElement(header, f"{{{WSA_NS}}}To").text = DISCOVERY_TO
    etree.SubElement(header, f"{{{WSA_NS}}}Action").text = PROBE_ACTION
    body = etree.SubElement(envelope, f"{{{SOAP12_NS}}}Body")
    probe_el = etree.SubElement(body, f"{{{WSD_NS}}}Probe")
    if types:
        etree.SubElement(probe_el, f"{{{WSD_NS}}}Types").text = " ".join(types)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def _text(element: etree._Element | None) -> str:
    return "" if element is None or element.text is None else element.text.strip()


def probe_matches(datagram: bytes, message_id: str | None) -> tuple[ProbeMatch, ...]:
    """The matches in a ProbeMatches datagram answering ``message_id`` (None:
    any). Anything else (another action, another probe's answer, garbage,
    matches without an endpoint reference) gives ``()``.

    A missing RelatesTo is accepted: some firmwares omit it, and the answer
    reached the socket that sent our probe.
    """
    if len(datagram) > MAX_DATAGRAM or b"<!DOCTYPE" in datagram[:1024].upper():
        return ()
    try:
        root = etree.fromstring(datagram, _PARSER)
    except etree.XMLSyntaxError:
        return ()
    if not isinstance(root.tag, str) or etree.QName(root).localname != "Envelope":
        return ()
    action = _text(root.find("{*}Header/{*}Action"))
    if action and action != PROBE_MATCHES_ACTION:
        return ()
    relates_to = _text(root.find("{*}Header/{*}RelatesTo"))
    if message_id is not None and relates_to and relates_to != message_id:
        return ()
    found: list[ProbeMatch] = []
    for match in root.iterfind("{*}Body/{*}ProbeMatches/{*}ProbeMatch"):
        reference = _text(match.find("{*}EndpointReference/{*}Address"))
        if not reference:
            continue
        version = _text(match.find("{*}MetadataVersion"))
        found.append(ProbeMatch(
            endpoint_reference=reference,
            types=tuple(_text(match.find("{*}Types")).split()),
            scopes=tuple(_text(match.find("{*}Scopes")).split()),
            xaddrs=tuple(_text(match.find("{*}XAddrs")).split()),
            metadata_version=int(version) if version.isdigit() else None,
        ))
    return tuple(found)
