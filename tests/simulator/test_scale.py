"""A thousand cameras start in well under the couple of seconds the
benchmarks allow, each on its own port, and each answers as itself."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from sim_zeep import make_camera

from simulator.server import SimulatedFleet

REQUEST = (
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
    b'<GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>'
)


async def test_thousand_cameras_start_fast_and_answer_as_themselves() -> None:
    cameras = [make_camera(f"S-{n:04d}", anonymous=True) for n in range(1000)]
    started = time.perf_counter()
    async with SimulatedFleet(cameras) as fleet:
        startup_s = time.perf_counter() - started
        sample = fleet.endpoints[::100]
        async with aiohttp.ClientSession() as session:

            async def serial_of(address: str) -> bytes:
                url = f"http://{address}/onvif/device_service"
                async with session.post(url, data=REQUEST) as response:
                    return await response.read()

            bodies = await asyncio.gather(*(serial_of(e.address) for e in sample))
    assert startup_s < 3.0, f"start-up took {startup_s:.2f} s"
    assert len({e.port for e in fleet.endpoints}) == 1000
    for endpoint, body in zip(sample, bodies, strict=True):
        assert f"<tds:SerialNumber>{endpoint.camera.serial}<".encode() in body
