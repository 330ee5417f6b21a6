"""Discovery in the agent: the config section, and a cycle's targets =
declared ∪ discovered, judged by the existing checks (a device that
matches nothing in the policy is inventory.undeclared)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.audit import audit_targets
from agent.config import DiscoveryConfig, load_config
from agent.discovery.cycle import cycle_targets
from agent.onvif import Credentials, OnvifClient
from schemas.errors import ConfigError
from schemas.policy_file import load_policy
from simulator.fleet import FleetFile, Undeclared, build_cameras
from simulator.server import SimulatedFleet
from tests.discovery.responder import Responder, responder_socket


def _write(tmp_path: Path, policy: Path, body: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(f"agent_id: a\nsite_id: test-main\npolicy: {policy}\n{body}")
    return path


def test_discovery_only_config_loads(tmp_path: Path, small_policy_path: Path) -> None:
    path = _write(tmp_path, small_policy_path,
                  "cameras: {password: pw}\n"
                  "discovery: {interfaces: [10.0.0.5], unicast: ['10.0.1.9:3702'], timeout_s: 2}\n")
    config = load_config(path)
    assert config.cameras.targets == ()
    assert config.discovery == DiscoveryConfig(interfaces=("10.0.0.5",),
                                               unicast=("10.0.1.9:3702",), timeout_s=2.0)


@pytest.mark.parametrize(("body", "where"), [
    ("cameras: {password: pw}\n", ":4: cameras.targets: no targets and no discovery"),
    ("cameras: {targets: ['127.0.0.1:80']}\ndiscovery: {interfaces: [eth0]}\n",
     ":5: discovery: interface 'eth0' is not an IPv4 address"),
    ("cameras: {targets: ['127.0.0.1:80']}\ndiscovery: {multicast: false}\n",
     ":5: discovery.multicast: multicast is off and no unicast hosts"),
    ("cameras: {targets: ['127.0.0.1:80']}\ndiscovery: {timeout_s: 0}\n",
     ":5: discovery.timeout_s: "),
], ids=["nothing-to-audit", "interface-not-an-address", "nothing-to-probe", "zero-timeout"])
def test_bad_discovery_config_names_line_and_field(tmp_path: Path, small_policy_path: Path,
                                                   body: str, where: str) -> None:
    path = _write(tmp_path, small_policy_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}{where}" in str(caught.value)


async def test_without_discovery_the_targets_are_the_declared_ones() -> None:
    assert await cycle_targets(("127.0.0.1:1",), None) == (("127.0.0.1:1",), ())


async def test_a_failing_discovery_leaves_the_declared_targets(
        caplog: pytest.LogCaptureFixture) -> None:
    config = DiscoveryConfig(interfaces=("10.255.255.254",), timeout_s=0.2)
    assert await cycle_targets(("127.0.0.1:1",), config) == (("127.0.0.1:1",), ())
    assert "discovery failed, auditing the declared targets only" in caplog.text


@pytest.fixture
async def udp() -> AsyncIterator[list[asyncio.BaseTransport]]:
    transports: list[asyncio.BaseTransport] = []
    yield transports
    for transport in transports:
        transport.close()


async def test_discovered_undeclared_camera_is_audited_and_flagged(
        small_policy_path: Path, udp: list[asyncio.BaseTransport]) -> None:
    policy = load_policy(small_policy_path)
    site = policy.site("test-main")
    fleet_file = FleetFile(undeclared=(Undeclared(site="test-main", serial="ROGUE-1"),))
    cameras = build_cameras(policy, fleet_file, password="pw", sites=["test-main"])
    async with SimulatedFleet(cameras) as fleet:
        rogue = fleet.endpoint("ROGUE-1")
        declared = tuple(e.address for e in fleet.endpoints if e is not rogue)
        # The rogue answers probes; so does a declared camera (found, not audited twice).
        loop = asyncio.get_running_loop()
        probes = []
        for endpoint in (rogue, fleet.endpoints[0]):
            sock = responder_socket("127.0.0.1", 0, multicast=False)
            probes.append(f"127.0.0.1:{sock.getsockname()[1]}")
            transport, _ = await loop.create_datagram_endpoint(
                lambda e=endpoint: Responder(e.camera.endpoint_reference, [e.device_xaddr]),
                sock=sock)
            udp.append(transport)
        config = DiscoveryConfig(multicast=False, unicast=tuple(probes), timeout_s=1.0)
        targets, devices = await cycle_targets(declared, config)
        assert len(devices) == 2
        assert targets == (*declared, rogue.address)
        async with OnvifClient(timeout=5.0) as onvif:
            report = await audit_targets(onvif, targets, Credentials("admin", "pw"),
                                         policy=policy, site=site,
                                         now=lambda: datetime.now(UTC))
    by_address = {c.address: c for c in report.cameras}
    assert [f.rule for f in by_address[rogue.address].findings] == ["inventory.undeclared"]
    assert all(not c.findings for a, c in by_address.items() if a != rogue.address)
