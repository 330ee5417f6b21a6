"""``camwarden sim``: serve a policy's simulated fleet until stopped.

Prints one line per served camera on stdout, flushed before serving starts:
``SITE CAMERA_ID ADDRESS USERNAME PASSWORD`` (``-`` as camera id for an
undeclared device), or with ``--json`` one object per line with the keys
site, camera_id, serial, address, xaddr, username, password. A summary goes
to stderr. Runs until SIGINT or SIGTERM and then exits 0; a bad policy or
fleet file (or a non-loopback host) prints the problem on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from schemas.errors import ConfigError
from schemas.policy_file import load_policy
from simulator.camera import SimCamera
from simulator.fleet import build_cameras, load_fleet
from simulator.server import SimEndpoint, SimulatedFleet


def run(args: argparse.Namespace) -> int:
    try:
        policy = load_policy(args.policy)
        fleet = load_fleet(args.fleet, policy) if args.fleet is not None else None
        cameras = build_cameras(policy, fleet)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not cameras:
        print("no cameras to serve: every declared camera is absent", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(cameras, args.host, as_json=args.json))
    except ValueError as exc:  # a non-loopback host
        print(exc, file=sys.stderr)
        return 2


async def _serve(cameras: list[SimCamera], host: str, *, as_json: bool) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with SimulatedFleet(cameras, host=host) as fleet:
        for endpoint in fleet.endpoints:
            print(_line(endpoint, as_json=as_json))
        sys.stdout.flush()
        print(
            f"serving {len(fleet.endpoints)} simulated camera(s) on {host}; "
            "stop with Ctrl-C or SIGTERM",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
    return 0


def _line(endpoint: SimEndpoint, *, as_json: bool) -> str:
    camera = endpoint.camera
    if as_json:
        return json.dumps(
            {
                "site": camera.site_id,
                "camera_id": camera.camera_id,
                "serial": camera.serial,
                "address": endpoint.address,
                "xaddr": endpoint.device_xaddr,
                "username": camera.username,
                "password": camera.password,
            },
            ensure_ascii=False,
        )
    return " ".join(
        (camera.site_id, camera.camera_id or "-", endpoint.address, camera.username,
         camera.password)
    )
