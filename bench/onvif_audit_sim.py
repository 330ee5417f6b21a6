"""Bench-only simulator runner for bench/onvif_audit.py: counts what it is asked.

    python bench/onvif_audit_sim.py POLICY.yaml [--first I --count N]

Serves the policy's cameras (or the slice ``[I, I+N)`` of them, so a fleet can
be split over several processes) with ``simulator.server.SimulatedFleet``,
prints one JSON line per camera (address, username, password) and then
``READY``, and answers commands on stdin, one per line:

- ``reset``: forget the counts;
- ``counts``: print one JSON line: HTTP requests and TCP connections
  received, and SOAP
  operations by ``"<operation> signed|anonymous"`` (signed: the request
  carried a WS-Security header);
- end of input: stop.

The counts are the proof that every client made the same calls: the harness
compares them per client. They are taken in the simulator, not the client,
so they cost the measured client nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import weakref
from collections import Counter
from pathlib import Path

from aiohttp import web

import simulator.server as server
from schemas.policy_file import load_policy
from simulator.fleet import build_cameras
from simulator.soap import Request

OPERATIONS: Counter[str] = Counter()
HTTP_REQUESTS = [0]
CONNECTIONS: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()
NEW_CONNECTIONS = [0]


def _counting(parse: object) -> object:
    def parse_request(data: bytes) -> Request:
        request: Request = parse(data)  # type: ignore[operator]
        signed = request.header is not None and any(
            isinstance(child.tag, str) and child.tag.endswith("}Security")
            for child in request.header
        )
        OPERATIONS[f"{request.operation} {'signed' if signed else 'anonymous'}"] += 1
        return request

    return parse_request


class CountingFleet(server.SimulatedFleet):
    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        HTTP_REQUESTS[0] += 1
        if request.transport is not None and request.transport not in CONNECTIONS:
            CONNECTIONS.add(request.transport)
            NEW_CONNECTIONS[0] += 1
        return await super()._handle(request)


async def serve(policy: Path, first: int, count: int | None) -> None:
    cameras = build_cameras(load_policy(policy))
    cameras = cameras[first : None if count is None else first + count]
    original = vars(server)["parse_request"]
    setattr(server, "parse_request", _counting(original))  # noqa: B010
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    async with CountingFleet(cameras) as fleet:
        for endpoint in fleet.endpoints:
            camera = endpoint.camera
            print(
                json.dumps(
                    {
                        "address": endpoint.address,
                        "username": camera.username,
                        "password": camera.password,
                    }
                )
            )
        print("READY", flush=True)
        while line := (await stdin.readline()).decode().strip():
            if line == "reset":
                OPERATIONS.clear()
                HTTP_REQUESTS[0] = NEW_CONNECTIONS[0] = 0
                print("OK", flush=True)
            elif line == "counts":
                print(
                    json.dumps(
                        {
                            "http": HTTP_REQUESTS[0],
                            "connections": NEW_CONNECTIONS[0],
                            "operations": OPERATIONS,
                        }
                    ),
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("policy", type=Path)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    asyncio.run(serve(args.policy, args.first, args.count))


if __name__ == "__main__":
    main()
