"""A stand-in for the controller's HTTP API, for the console's tests.

It serves exactly the routes documented in ``schemas/api.py`` from a
``FleetData`` built with the schemas.api models, over a real aiohttp server
on 127.0.0.1. It runs on its own event loop in a thread so that both async
tests (Pilot) and the synchronous snapshot tests (``snap_compare`` runs the
app with ``asyncio.run``) can use it. ``stop()`` closes the listener and
every connection (the controller goes away); ``start()`` brings it back on
the same port.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from console_fleet import FleetData
from pydantic import BaseModel

from schemas.api import Page

MAX_LIMIT = 500
STABLE_URL = "http://controller.test:8080"
"""A name that ``session_factory`` resolves to the fake on loopback: the
snapshots show this URL, not a port that changes from run to run."""
T = TypeVar("T")


class FakeController:
    def __init__(self, data: FleetData, host: str = "127.0.0.1") -> None:
        if not host.startswith("127."):
            raise ValueError(f"the fake controller binds loopback only, not {host!r}")
        self.data = data
        self.host = host
        self.port = 0
        self.requests: list[str] = []
        """Path and query of every request served, in order."""
        self.overrides: dict[str, tuple[int, str]] = {}
        """Route path -> (HTTP status, body) served instead of the real answer."""
        self._runner: web.AppRunner | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the fake controller has not been started")
        return f"http://{self.host}:{self.port}"

    def session_factory(self) -> aiohttp.ClientSession:
        """A client session whose resolver sends every host name to this
        fake (on loopback): pass as ``ApiClient(STABLE_URL, session_factory=...)``."""
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=_ToFake(self)))

    # --- control, from any thread or loop --------------------------------

    def start(self) -> None:
        self._call(self._start())

    def stop(self) -> None:
        self._call(self._stop())

    async def start_async(self) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._start(), self._loop))

    async def stop_async(self) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._stop(), self._loop))

    def close(self) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def _start(self) -> None:
        if self._runner is not None:
            return
        runner = web.AppRunner(self._application(), shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = runner.addresses[0][1]
        self._runner = runner

    async def _stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # --- the routes of schemas/api.py -------------------------------------

    def _application(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/api/v1/health", self._health)
        app.router.add_get("/api/v1/fleet", self._fleet)
        app.router.add_get("/api/v1/sites", self._sites)
        app.router.add_get("/api/v1/sites/{site_id}", self._site)
        app.router.add_get("/api/v1/sites/{site_id}/cameras", self._cameras)
        app.router.add_get("/api/v1/cameras/{site_id}/{camera_key}", self._camera)
        app.router.add_get("/api/v1/findings", self._findings)
        return app

    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        if request.path in self.overrides:
            status, body = self.overrides[request.path]
            return web.Response(status=status, text=body, content_type="application/json")
        response: web.StreamResponse = await handler(request)
        return response

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _fleet(self, request: web.Request) -> web.Response:
        return _json(self.data.fleet)

    async def _sites(self, request: web.Request) -> web.Response:
        return _page(request, self.data.sites)

    async def _site(self, request: web.Request) -> web.Response:
        site_id = request.match_info["site_id"]
        for site in self.data.sites:
            if site.site_id == site_id:
                return _json(site)
        raise _not_found(f"no site {site_id!r}")

    async def _cameras(self, request: web.Request) -> web.Response:
        site_id = request.match_info["site_id"]
        if site_id not in self.data.cameras:
            raise _not_found(f"no site {site_id!r}")
        cameras = self.data.cameras[site_id]
        state = request.query.get("state")
        if state is not None:
            cameras = tuple(c for c in cameras if c.state == state)
        return _page(request, cameras)

    async def _camera(self, request: web.Request) -> web.Response:
        key = (request.match_info["site_id"], request.match_info["camera_key"])
        detail = self.data.details.get(key)
        if detail is None:
            raise _not_found(f"no camera {key[1]!r} at site {key[0]!r}")
        return _json(detail)

    async def _findings(self, request: web.Request) -> web.Response:
        found = self.data.findings
        filters = {
            "site": lambda f: f.site_id,
            "camera": lambda f: f.camera_key,
            "rule": lambda f: f.rule,
            "severity": lambda f: f.severity,
            "state": lambda f: f.state,
        }
        for name, field in filters.items():
            wanted = request.query.get(name)
            if wanted is not None:
                found = tuple(f for f in found if field(f) == wanted)
        return _page(request, found)


def _json(model: BaseModel) -> web.Response:
    return web.Response(text=model.model_dump_json(), content_type="application/json")


def _page(request: web.Request, items: tuple[Any, ...]) -> web.Response:
    offset = _int_arg(request, "offset", 0, minimum=0)
    limit = min(_int_arg(request, "limit", 100, minimum=1), MAX_LIMIT)
    page: Page[Any] = Page(
        items=items[offset : offset + limit], total=len(items), offset=offset, limit=limit
    )
    return _json(page)


def _int_arg(request: web.Request, name: str, default: int, *, minimum: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise web.HTTPBadRequest(
            text=f'{{"error": "{name} must be an integer >= {minimum}, got {raw!r}"}}',
            content_type="application/json",
        )
    return value


def _not_found(message: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=f'{{"error": "{message}"}}', content_type="application/json")


class _ToFake(AbstractResolver):
    def __init__(self, fake: FakeController) -> None:
        self._fake = fake

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host, host=self._fake.host, port=self._fake.port,
                family=socket.AF_INET, proto=0, flags=0,
            )
        ]

    async def close(self) -> None:
        return None
