"""asyncio WS-Discovery client: send Probes, collect ProbeMatches until a deadline.

Multicast goes to 239.255.255.250:3702 once per chosen interface, from a
socket bound to that interface's address with ``IP_MULTICAST_IF`` set to it
(so the probe leaves by that interface, and answers come back to it);
without interfaces, one socket on the default route. Unicast probes go to
``HOST[:PORT]`` (3702 by default) for devices beyond multicast's reach.
Every probe is sent twice, 100 ms apart (UDP may drop one: WS-Discovery's
own repeat), with one MessageID, so repeats only merge.

Answers arrive unicast on the socket that probed. Collection ends at the
``timeout_s`` (seconds), or as soon as ``expect`` distinct devices answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Sequence

from agent.discovery.targets import merge_devices
from agent.onvif import wsdiscovery
from agent.onvif.wsdiscovery import ProbeMatch
from schemas.discovery import DiscoveredDevice

REPEAT_GAP_S = 0.1


def _ipv4(address: str, what: str) -> str:
    try:
        return str(ipaddress.IPv4Address(address))
    except ValueError:
        raise ValueError(f"{what} {address!r} is not an IPv4 address") from None


def unicast_destination(entry: str) -> tuple[str, int]:
    """``HOST`` or ``HOST:PORT`` -> (host, port); ValueError names a bad one."""
    host, sep, port = entry.rpartition(":")
    if not sep:
        host, port = entry, str(wsdiscovery.PORT)
    if not host or ":" in host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"unicast probe target {entry!r} is not HOST or HOST:PORT (IPv4)")
    return host, int(port)


class _Collector(asyncio.DatagramProtocol):
    """Keeps every ProbeMatch answering ``message_id``, with its source IP."""

    def __init__(self, message_id: str, found: list[tuple[ProbeMatch, str]],
                 changed: asyncio.Event) -> None:
        self.message_id = message_id
        self.found = found
        self.changed = changed

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        matches = wsdiscovery.probe_matches(data, self.message_id)
        for match in matches:
            self.found.append((match, str(addr[0])))
        if matches:
            self.changed.set()

    def error_received(self, exc: Exception) -> None:
        """An ICMP "port unreachable" from a unicast target: no device there."""


def _multicast_socket(interface: str | None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        if interface is not None:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                            socket.inet_aton(interface))
        sock.bind((interface or "0.0.0.0", 0))
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        where = f"interface {interface}" if interface else "the default interface"
        raise OSError(exc.errno, f"cannot probe multicast on {where}: {exc.strerror}") from exc
    return sock


def _unicast_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.bind(("0.0.0.0", 0))
    sock.setblocking(False)
    return sock


async def discover(*, interfaces: Sequence[str] = (), unicast: Sequence[str] = (),
                   multicast: bool = True, timeout_s: float = 3.0,
                   types: tuple[str, ...] = (wsdiscovery.NETWORK_VIDEO_TRANSMITTER,),
                   allow_link_local: bool = False, expect: int | None = None
                   ) -> tuple[DiscoveredDevice, ...]:
    """Probe and return the devices that answered, one per endpoint reference.

    ``interfaces`` are IPv4 addresses of this host's interfaces to probe
    multicast on (none: the default route's); ``unicast`` entries are
    ``HOST[:PORT]``. Raises ValueError for a malformed address and OSError
    when a socket cannot be made (an interface address this host does not
    have); an unanswered probe is simply no device.
    """
    if not timeout_s > 0:
        raise ValueError(f"discovery timeout must be > 0 seconds, got {timeout_s!r}")
    chosen = [_ipv4(address, "interface address") for address in interfaces]
    destinations = [unicast_destination(entry) for entry in unicast]
    loop = asyncio.get_running_loop()
    message_id = wsdiscovery.new_message_id()
    message = wsdiscovery.probe(message_id, types)
    found: list[tuple[ProbeMatch, str]] = []
    changed = asyncio.Event()
    plans: list[tuple[socket.socket, list[tuple[str, int]]]] = []
    try:
        if multicast:
            group = [(wsdiscovery.MULTICAST_V4, wsdiscovery.PORT)]
            on: list[str | None] = list(chosen) or [None]
            for interface in on:
                plans.append((_multicast_socket(interface), group))
        if destinations:
            resolved = [(await _resolve(host), port) for host, port in destinations]
            plans.append((_unicast_socket(), resolved))
        transports = []
        for sock, _ in plans:
            transport, _protocol = await loop.create_datagram_endpoint(
                lambda: _Collector(message_id, found, changed), sock=sock)
            transports.append(transport)
        try:
            async with asyncio.timeout(timeout_s):
                await _send_and_wait(transports, plans, message, found, changed, expect)
        except TimeoutError:
            pass
        finally:
            for transport in transports:
                transport.close()
    finally:
        for sock, _ in plans:
            with contextlib.suppress(OSError):
                sock.close()
    return merge_devices(found, allow_link_local=allow_link_local)


async def _resolve(host: str) -> str:
    """An IPv4 address for ``host`` (a name is looked up once)."""
    with contextlib.suppress(ValueError):
        return str(ipaddress.IPv4Address(host))
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, family=socket.AF_INET,
                                                          type=socket.SOCK_DGRAM)
    return str(infos[0][4][0])


async def _send_and_wait(transports: list[asyncio.DatagramTransport],
                         plans: list[tuple[socket.socket, list[tuple[str, int]]]],
                         message: bytes, found: list[tuple[ProbeMatch, str]],
                         changed: asyncio.Event, expect: int | None) -> None:
    """Send every probe twice, then wait until ``expect`` devices answered
    (or forever: the caller's timeout ends it)."""
    for round_ in range(2):
        for transport, (_, destinations) in zip(transports, plans, strict=True):
            for destination in destinations:
                transport.sendto(message, destination)
        if round_ == 0:
            await asyncio.sleep(REPEAT_GAP_S)
    while True:
        if expect is not None and len({m.endpoint_reference for m, _ in found}) >= expect:
            return
        changed.clear()
        await changed.wait()
