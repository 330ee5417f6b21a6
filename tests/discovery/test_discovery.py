"""WS-Discovery: message building and reading, target choice, and probes
over loopback unicast to real responders (tests/discovery/responder.py)."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from agent.discovery import choose_target, discover, merge_devices, merge_targets
from agent.discovery.probe import unicast_destination
from agent.onvif import wsdiscovery
from agent.onvif.wsdiscovery import ProbeMatch
from schemas.discovery import DiscoveredDevice
from tests.discovery.responder import TEMPLATE, Responder, responder_socket

EPR_A = "urn:uuid:00000000-0000-4000-8000-00000000000a"
EPR_B = "urn:uuid:00000000-0000-4000-8000-00000000000b"


def matches_for(relates: str, epr: str = EPR_A, xaddrs: str = "http://10.0.0.5/onvif/device_service"
                ) -> bytes:
    return TEMPLATE.format(message="1", relates=relates, epr=epr, xaddrs=xaddrs,
                           name="x").encode()


def test_probe_is_a_soap12_probe_for_network_video_transmitters() -> None:
    root = ET.fromstring(wsdiscovery.probe("urn:uuid:1"))
    wsa = "{http://schemas.xmlsoap.org/ws/2004/08/addressing}"
    assert root.tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"
    assert root.findtext(f".//{wsa}Action") == wsdiscovery.PROBE_ACTION
    assert root.findtext(f".//{wsa}MessageID") == "urn:uuid:1"
    assert root.findtext(f".//{wsa}To") == wsdiscovery.DISCOVERY_TO
    assert root.findtext(f".//{{{wsdiscovery.WSD_NS}}}Types") == "dn:NetworkVideoTransmitter"


def test_probe_without_types_probes_everything() -> None:
    root = ET.fromstring(wsdiscovery.probe("urn:uuid:1", ()))
    assert root.find(f".//{{{wsdiscovery.WSD_NS}}}Types") is None


def test_probe_matches_are_read_into_our_model() -> None:
    (match,) = wsdiscovery.probe_matches(matches_for("urn:uuid:me"), "urn:uuid:me")
    assert match == ProbeMatch(
        endpoint_reference=EPR_A, types=("dn:NetworkVideoTransmitter", "tds:Device"),
        scopes=("onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/name/x"),
        xaddrs=("http://10.0.0.5/onvif/device_service",), metadata_version=1)


@pytest.mark.parametrize("datagram", [
    matches_for("urn:uuid:someone-else"),
    b"not xml at all",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
    wsdiscovery.probe("urn:uuid:me"),
    matches_for("urn:uuid:me", epr=""),
    b"<a/>",
], ids=["other-probe", "garbage", "doctype", "a-probe-not-an-answer", "no-endpoint", "not-soap"])
def test_anything_but_an_answer_to_us_is_ignored(datagram: bytes) -> None:
    assert wsdiscovery.probe_matches(datagram, "urn:uuid:me") == ()


def test_an_answer_without_relates_to_is_accepted() -> None:
    datagram = matches_for("X").replace(b"<wsa:RelatesTo>X</wsa:RelatesTo>", b"")
    assert len(wsdiscovery.probe_matches(datagram, "urn:uuid:me")) == 1


@pytest.mark.parametrize(("xaddrs", "sources", "link_local", "target"), [
    (["http://10.0.0.5/onvif/device_service"], [], False, "10.0.0.5:80"),
    (["http://[fe80::1%eth0]:8080/onvif/device_service", "http://10.0.0.5:8080/x"], [], False,
     "10.0.0.5:8080"),
    (["http://[fe80::1]:8080/onvif/device_service"], [], True, "[fe80::1]:8080"),
    (["http://[fe80::1]:8080/onvif/device_service"], [], False, None),
    (["http://192.168.1.64/x", "http://10.0.0.5:81/x"], ["10.0.0.5"], False, "10.0.0.5:81"),
    (["https://10.0.0.5/x", "http://10.0.0.6/x"], ["10.0.0.5"], False, "10.0.0.6:80"),
    (["http://0.0.0.0/x", "ftp://10.0.0.5/x", "http:///x", "http://h:99999/x"], [], False,
     None),
    (["http://[2001:db8::5]:8000/onvif/device_service"], [], False, "[2001:db8::5]:8000"),
    (["http://cam-7.example/onvif/device_service"], [], False, "cam-7.example:80"),
], ids=["plain", "link-local-skipped", "link-local-asked", "only-link-local",
        "prefer-host-that-answered", "http-before-https", "nothing-usable", "ipv6-global",
        "dns-name"])
def test_choose_target(xaddrs: list[str], sources: list[str], link_local: bool,
                       target: str | None) -> None:
    assert choose_target(xaddrs, sources, allow_link_local=link_local) == target


def test_merge_devices_deduplicates_by_endpoint_reference() -> None:
    a1 = ProbeMatch(EPR_A, ("dn:NetworkVideoTransmitter",), ("s1",), ("http://10.0.0.5/x",), 1)
    a2 = ProbeMatch(EPR_A, ("tds:Device",), ("s1", "s2"), ("http://10.1.0.5/x",), 2)
    b = ProbeMatch(EPR_B, (), (), ("http://10.0.0.6/x",), None)
    devices = merge_devices([(a1, "10.0.0.5"), (b, "10.0.0.6"), (a2, "10.1.0.5"),
                             (a1, "10.0.0.5")])
    assert devices == (
        DiscoveredDevice(endpoint_reference=EPR_A,
                         xaddrs=("http://10.0.0.5/x", "http://10.1.0.5/x"),
                         scopes=("s1", "s2"), types=("dn:NetworkVideoTransmitter", "tds:Device"),
                         metadata_version=2, answered_from=("10.0.0.5", "10.1.0.5"),
                         target="10.0.0.5:80"),
        DiscoveredDevice(endpoint_reference=EPR_B, xaddrs=("http://10.0.0.6/x",),
                         answered_from=("10.0.0.6",), target="10.0.0.6:80"),
    )


def test_merge_targets_adds_only_undeclared_addresses() -> None:
    devices = [DiscoveredDevice(endpoint_reference=EPR_A, xaddrs=(), target="10.0.0.5:80"),
               DiscoveredDevice(endpoint_reference=EPR_B, xaddrs=(), target="10.0.0.6:80"),
               DiscoveredDevice(endpoint_reference="urn:c", xaddrs=(), target=None)]
    assert merge_targets(["10.0.0.6:80", "10.0.0.9:80"], devices) == (
        "10.0.0.6:80", "10.0.0.9:80", "10.0.0.5:80")


@pytest.mark.parametrize(("entry", "parsed"), [("127.0.0.1", ("127.0.0.1", 3702)),
                                               ("127.0.0.1:4000", ("127.0.0.1", 4000))])
def test_unicast_destination(entry: str, parsed: tuple[str, int]) -> None:
    assert unicast_destination(entry) == parsed


@pytest.mark.parametrize("entry", ["127.0.0.1:", ":80", "127.0.0.1:0", "::1", "h:x"])
def test_bad_unicast_destination_is_named(entry: str) -> None:
    with pytest.raises(ValueError, match="HOST or HOST:PORT"):
        unicast_destination(entry)


async def test_bad_interface_address_is_named() -> None:
    with pytest.raises(ValueError, match="interface address 'eth0'"):
        await discover(interfaces=["eth0"], timeout_s=0.1)


StartResponder = Callable[..., Awaitable[tuple[Responder, str]]]


@pytest.fixture
async def responder() -> AsyncIterator[StartResponder]:
    """``await responder(epr, xaddrs)`` -> (responder, "127.0.0.1:PORT")."""
    transports: list[asyncio.BaseTransport] = []

    async def start(epr: str, xaddrs: list[str]) -> tuple[Responder, str]:
        sock = responder_socket("127.0.0.1", 0, multicast=False)
        port = sock.getsockname()[1]
        transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: Responder(epr, xaddrs), sock=sock)
        transports.append(transport)
        return protocol, f"127.0.0.1:{port}"

    yield start
    for transport in transports:
        transport.close()


async def test_unicast_probes_find_each_device_once(responder: StartResponder) -> None:
    first, at_first = await responder(EPR_A, ["http://127.0.0.1:8001/onvif/device_service"])
    # The same device answering on a second address (two interfaces) is one device.
    second, at_second = await responder(EPR_A, ["http://127.0.0.2:8001/onvif/device_service"])
    _, at_other = await responder(EPR_B, ["http://[fe80::2]:80/onvif/device_service",
                                          "http://127.0.0.3:8002/onvif/device_service"])
    started = time.monotonic()
    devices = await discover(unicast=[at_first, at_second, at_other], multicast=False,
                             timeout_s=5.0, expect=2)
    assert time.monotonic() - started < 2.0  # ended by `expect`, not the timeout
    by_epr = {d.endpoint_reference: d for d in devices}
    assert sorted(by_epr) == [EPR_A, EPR_B]
    assert by_epr[EPR_A].target == "127.0.0.1:8001"
    assert by_epr[EPR_B].target == "127.0.0.3:8002"
    assert (first.probes, second.probes) >= (1, 1)


async def test_silence_ends_at_the_timeout_with_nothing(responder: StartResponder) -> None:
    _, at = await responder(EPR_A, ["http://127.0.0.1:8001/x"])
    port = int(at.rsplit(":", 1)[1])
    started = time.monotonic()
    devices = await discover(unicast=[f"127.0.0.1:{port + 1 if port < 65535 else port - 1}"],
                             multicast=False, timeout_s=0.4)
    assert devices == ()
    assert 0.4 <= time.monotonic() - started < 1.5
