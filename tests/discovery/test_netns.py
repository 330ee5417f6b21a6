"""Discovery across hosts: network namespaces made (and removed) by the test.

Topology, all inside namespaces this test creates (addresses 10.213.x.y
exist only there; the host's own network is never touched)::

    ns a (prober)  eth0 10.213.0.1 ─┐ br0 (in ns hub) ├─ ns b 10.213.0.2, ns c 10.213.0.3
                   eth1 10.213.1.1 ─┐ br1 (in ns hub) ├─ ns d 10.213.1.4

b, c and d each run a WS-Discovery responder (tests/discovery/responder.py)
joined to 239.255.255.250 on their interface. ``camwarden discover`` runs in
a, multicasting on the interface(s) named. Skipped, saying why, where
namespaces cannot be made (not root, no ``ip``, no CAP_SYS_ADMIN).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESPONDER = Path(__file__).with_name("responder.py")
CAMWARDEN = Path(sys.executable).with_name("camwarden")
PREFIX = f"cw{os.getpid() % 100000}"
HOSTS = {  # namespace suffix -> (bridge, address, endpoint reference)
    "b": ("br0", "10.213.0.2", "urn:uuid:00000000-0000-4000-8000-0000000000b0"),
    "c": ("br0", "10.213.0.3", "urn:uuid:00000000-0000-4000-8000-0000000000c0"),
    "d": ("br1", "10.213.1.4", "urn:uuid:00000000-0000-4000-8000-0000000000d0"),
}


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)


def _ns(suffix: str) -> str:
    return f"{PREFIX}{suffix}"


def _why_not() -> str | None:
    if shutil.which("ip") is None:
        return "no 'ip' command (iproute2) on this machine"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = _ns("probe")
    try:
        _ip("netns", "add", probe)
    except subprocess.CalledProcessError as exc:
        return f"cannot create a network namespace here: {exc.stderr.strip()}"
    _ip("netns", "del", probe)
    return None


def _link(bridge: str, host: str, device: str, address: str) -> None:
    """A veth from ``host``'s ``device`` (with ``address``/24) to ``bridge`` in hub."""
    hub = _ns("hub")
    peer = f"v{host[-1]}{device[-1]}"
    _ip("-n", hub, "link", "add", peer, "type", "veth", "peer", "name", device, "netns", host)
    _ip("-n", hub, "link", "set", peer, "master", bridge, "up")
    _ip("-n", host, "addr", "add", f"{address}/24", "dev", device)
    _ip("-n", host, "link", "set", device, "up")


@pytest.fixture(scope="module")
def network() -> Iterator[None]:
    reason = _why_not()
    if reason is not None:
        pytest.skip(reason)
    made: list[str] = []
    try:
        for suffix in ("hub", "a", *HOSTS):
            _ip("netns", "add", _ns(suffix))
            made.append(_ns(suffix))
            _ip("-n", _ns(suffix), "link", "set", "lo", "up")
        for bridge in ("br0", "br1"):
            # No IGMP snooping: the bridge floods multicast like a plain switch.
            _ip("-n", _ns("hub"), "link", "add", bridge, "type", "bridge", "mcast_snooping", "0")
            _ip("-n", _ns("hub"), "link", "set", bridge, "up")
        _link("br0", _ns("a"), "eth0", "10.213.0.1")
        _link("br1", _ns("a"), "eth1", "10.213.1.1")
        for suffix, (bridge, address, _) in HOSTS.items():
            _link(bridge, _ns(suffix), "eth0", address)
        yield
    finally:
        for name in reversed(made):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


async def _start_responders() -> list[asyncio.subprocess.Process]:
    procs = []
    for suffix, (_, address, epr) in HOSTS.items():
        proc = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", _ns(suffix), sys.executable, str(RESPONDER), address, epr,
            f"http://{address}:8080/onvif/device_service",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        procs.append(proc)
    for proc in procs:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=10)
        assert line == b"ready\n", (line, await proc.stderr.read() if proc.stderr else b"")
    return procs


async def _discover_in_a(*args: str) -> tuple[int, list[dict[str, object]], str]:
    proc = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", _ns("a"), str(CAMWARDEN), "discover", "--json", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    devices = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    return proc.returncode or 0, devices, err.decode()


async def test_multicast_probe_finds_the_hosts_on_the_chosen_interfaces(network: None) -> None:
    responders = await _start_responders()
    try:
        first, second, both, unicast = await asyncio.gather(
            _discover_in_a("--interface", "10.213.0.1", "--timeout", "1.5"),
            _discover_in_a("--interface", "10.213.1.1", "--timeout", "1.5"),
            _discover_in_a("--interface", "10.213.0.1", "--interface", "10.213.1.1",
                           "--timeout", "1.5"),
            _discover_in_a("--no-multicast", "--unicast", "10.213.1.4", "--timeout", "1.5"),
        )
    finally:
        for proc in responders:
            proc.kill()
            await proc.wait()

    def found(result: tuple[int, list[dict[str, object]], str]) -> dict[object, object]:
        code, devices, err = result
        assert code == 0, err
        return {d["endpoint_reference"]: d["target"] for d in devices}

    epr = {suffix: host[2] for suffix, host in HOSTS.items()}
    assert found(first) == {epr["b"]: "10.213.0.2:8080", epr["c"]: "10.213.0.3:8080"}
    assert found(second) == {epr["d"]: "10.213.1.4:8080"}
    assert found(both) == {epr["b"]: "10.213.0.2:8080", epr["c"]: "10.213.0.3:8080",
                           epr["d"]: "10.213.1.4:8080"}
    assert found(unicast) == {epr["d"]: "10.213.1.4:8080"}
    answered = {d["endpoint_reference"]: d["answered_from"] for d in both[1]}
    assert answered[epr["b"]] == ["10.213.0.2"]  # each device once, from its own host
