"""A minimal WS-Discovery responder for the discovery tests.

Answers a Probe (multicast group 239.255.255.250 on its interface, or
unicast to its port) with a ProbeMatches from a fixed template, the way a
camera does: unicast back to the prober's address and port. Written from
the WS-Discovery 2005/04 and ONVIF Core texts, independently of the
client's code (stdlib XML only), so that the tests check the client against
the protocol rather than against itself.

Run standalone (inside a network namespace) with
``python responder.py BIND_ADDR EPR XADDR [XADDR ...]``; it prints
``ready`` once it listens and answers until killed.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import sys
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

GROUP = "239.255.255.250"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
NVT = "http://www.onvif.org/ver10/network/wsdl"

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
  xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"
  xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
  xmlns:dn="http://www.onvif.org/ver10/network/wsdl"
  xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
<env:Header>
<wsa:MessageID>urn:uuid:{message}</wsa:MessageID>
<wsa:RelatesTo>{relates}</wsa:RelatesTo>
<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>
<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>
<d:AppSequence InstanceId="1" MessageNumber="1"/>
</env:Header>
<env:Body><d:ProbeMatches><d:ProbeMatch>
<wsa:EndpointReference><wsa:Address>{epr}</wsa:Address></wsa:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/{name}</d:Scopes>
<d:XAddrs>{xaddrs}</d:XAddrs>
<d:MetadataVersion>1</d:MetadataVersion>
</d:ProbeMatch></d:ProbeMatches></env:Body></env:Envelope>"""


def answer(probe: bytes, epr: str, xaddrs: list[str], name: str) -> bytes | None:
    """The ProbeMatches for a Probe we match (no Types, or NVT), else None."""
    try:
        root = ET.fromstring(probe)
    except ET.ParseError:
        return None
    body_probe = root.find(f".//{{{WSD}}}Probe")
    message_id = root.find(f".//{{{WSA}}}MessageID")
    if body_probe is None or message_id is None or not message_id.text:
        return None
    types = body_probe.find(f"{{{WSD}}}Types")
    wanted = (types.text or "").split() if types is not None else []
    if any(not t.endswith(":NetworkVideoTransmitter") and not t.endswith(":Device")
           for t in wanted):
        return None
    return TEMPLATE.format(message=uuid.uuid4(), relates=message_id.text.strip(), epr=epr,
                           xaddrs=" ".join(xaddrs), name=name).encode()


@dataclass
class Responder(asyncio.DatagramProtocol):
    """One device answering probes. ``probes`` counts the Probes it saw."""

    epr: str
    xaddrs: list[str]
    name: str = "camera"
    probes: int = 0
    transport: asyncio.DatagramTransport | None = field(default=None, repr=False)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        reply = answer(data, self.epr, self.xaddrs, self.name)
        if reply is not None and self.transport is not None:
            self.probes += 1
            self.transport.sendto(reply, addr)


def responder_socket(bind: str, port: int, *, multicast: bool) -> socket.socket:
    """A UDP socket on ``bind:port``; with ``multicast``, bound to the wildcard
    address on 3702 and joined to the group on ``bind``'s interface."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if multicast:
        sock.bind(("0.0.0.0", port))
        membership = struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton(bind))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    else:
        sock.bind((bind, port))
    sock.setblocking(False)
    return sock


async def _serve(bind: str, epr: str, xaddrs: list[str]) -> None:
    loop = asyncio.get_running_loop()
    sock = responder_socket(bind, 3702, multicast=True)
    await loop.create_datagram_endpoint(lambda: Responder(epr, xaddrs, name=bind), sock=sock)
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve(sys.argv[1], sys.argv[2], sys.argv[3:]))
