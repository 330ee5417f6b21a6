"""Cameras audited at once are bounded, so a whole site gathered at once
keeps only a few cameras' half-read answers in memory (5,000 cameras
gathered unbounded peaked at 534 MB in bench/onvif_audit.py)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from agent.onvif import Credentials, OnvifClient
from camwarden.broker import free_port


async def test_no_more_than_max_cameras_are_audited_at_once() -> None:
    busy: set[int] = set()
    most = 0

    async def slow_refusal(request: web.Request) -> web.Response:
        nonlocal most
        port = request.transport.get_extra_info("sockname")[1] if request.transport else 0
        busy.add(port)
        most = max(most, len(busy))
        await asyncio.sleep(0.05)
        busy.discard(port)
        return web.Response(status=404, text="no ONVIF here")

    app = web.Application()
    app.router.add_post("/onvif/device_service", slow_refusal)
    runner = web.AppRunner(app)
    await runner.setup()
    ports = [free_port() for _ in range(6)]
    for port in ports:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with OnvifClient(timeout=5, max_concurrency=64, max_cameras=2, retries=0) as client:
            results = await asyncio.gather(
                *(client.collect(f"127.0.0.1:{p}", Credentials("admin", "x")) for p in ports)
            )
    finally:
        await runner.cleanup()
    assert len(results) == 6
    assert all(r.errors for r in results)
    assert most == 2
