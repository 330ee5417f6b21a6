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
from console_fleet import NOW, FleetData
from pydantic import BaseModel, ValidationError

from schemas.api import (
    AcknowledgeRequest,
    CameraDetail,
    ChangeEvent,
    ChangeKind,
    FindingEvent,
    FindingView,
    Page,
    SiteView,
)

MAX_LIMIT = 500
STABLE_URL = "http://controller.test:8080"
"""A name that ``session_factory`` resolves to the fake on loopback: the
snapshots show this URL, not a port that changes from run to run."""
T = TypeVar("T")


class FakeController:
    def __init__(
        self,
        data: FleetData,
        host: str = "127.0.0.1",
        tokens: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        """``tokens``: token -> (name, role) as ``schemas/api.py`` describes
        (None: no authentication, every caller may do everything)."""
        if not host.startswith("127."):
            raise ValueError(f"the fake controller binds loopback only, not {host!r}")
        self.data = data
        self.host = host
        self.port = 0
        self.requests: list[str] = []
        """Path and query of every request served, in order."""
        self.overrides: dict[str, tuple[int, str]] = {}
        """Route path -> (HTTP status, body) served instead of the real answer."""
        self.tokens = tokens
        self.events: list[ChangeEvent] = []
        """Every change published, in order; ``seq`` is the index + 1."""
        self.last_event_ids: list[str | None] = []
        """The Last-Event-ID of every event-stream request, in order."""
        self.streams = 0
        """Event streams open right now."""
        self._subscribers: set[asyncio.Queue[ChangeEvent | None]] = set()
        self._pages_gate: asyncio.Event | None = None
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

    def publish(
        self,
        kind: ChangeKind,
        *,
        site_id: str | None = None,
        finding: FindingView | None = None,
        event: FindingEvent | None = None,
        site: SiteView | None = None,
    ) -> ChangeEvent:
        """Record a change and push it to every open event stream (from any
        thread). The data served is not changed: update ``data`` first."""
        change = ChangeEvent(
            seq=len(self.events) + 1, kind=kind, at=NOW, site_id=site_id,
            finding=finding, event=event, site=site,
        )
        self.events.append(change)
        self._loop.call_soon_threadsafe(self._fan_out, change)
        return change

    def put_finding(self, finding: FindingView, kind: str = "opened") -> ChangeEvent:
        """Make ``finding`` part of the data (list and camera detail), add a
        history step of ``kind`` and publish the change."""
        step = FindingEvent(finding_id=finding.id, kind=kind, at=NOW,  # type: ignore[arg-type]
                            by=finding.acknowledged_by, note=finding.note,
                            severity=finding.severity)
        self._store_finding(finding, step)
        return self.publish("finding", site_id=finding.site_id, finding=finding, event=step)

    def hold_pages(self) -> None:
        """Answer the first page of a site's cameras at once and hold every
        later page until ``release_pages()``: a slow controller, to look at
        the console while a big site's pages are still arriving."""
        self._call(self._hold_pages())

    def release_pages(self) -> None:
        """Let the held pages go (and no longer hold any)."""
        self._call(self._release_pages())

    async def _hold_pages(self) -> None:
        self._pages_gate = asyncio.Event()

    async def _release_pages(self) -> None:
        if self._pages_gate is not None:
            self._pages_gate.set()
        self._pages_gate = None

    def drop_streams(self) -> None:
        """End every open event stream (the server stays up)."""
        self._loop.call_soon_threadsafe(self._fan_out, None)

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
        self._fan_out(None)
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
        app.router.add_get("/api/v1/findings/{id}", self._finding)
        app.router.add_get("/api/v1/findings/{id}/history", self._history)
        app.router.add_post("/api/v1/findings/{id}/acknowledge", self._acknowledge)
        app.router.add_get("/api/v1/policies", self._policies)
        app.router.add_get("/api/v1/policies/{policy_id}", self._policy)
        app.router.add_get("/api/v1/events", self._events)
        return app

    def _caller(self, request: web.Request) -> tuple[str, str]:
        """(name, role) of the request's bearer token; 401 when none fits."""
        if self.tokens is None:
            return ("anonymous", "operator")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.tokens:
            raise web.HTTPUnauthorized(
                text='{"error": "a valid bearer token is needed"}', content_type="application/json"
            )
        return self.tokens[token]

    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        if request.path != "/api/v1/health":
            self._caller(request)
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
        gate = self._pages_gate
        if gate is not None and _int_arg(request, "offset", 0, minimum=0) > 0:
            await gate.wait()
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


    def _finding_by_id(self, request: web.Request) -> FindingView:
        try:
            wanted = int(request.match_info["id"])
        except ValueError:
            raise _not_found(f"no finding {request.match_info['id']!r}") from None
        for found in self.data.findings:
            if found.id == wanted:
                return found
        raise _not_found(f"no finding {wanted}")

    async def _finding(self, request: web.Request) -> web.Response:
        return _json(self._finding_by_id(request))

    async def _history(self, request: web.Request) -> web.Response:
        found = self._finding_by_id(request)
        steps = self.data.history.get(found.id, ())
        return web.Response(
            text="[" + ",".join(step.model_dump_json() for step in steps) + "]",
            content_type="application/json",
        )

    async def _acknowledge(self, request: web.Request) -> web.Response:
        name, role = self._caller(request)
        if role != "operator":
            raise web.HTTPForbidden(
                text='{"error": "the viewer role may not acknowledge"}',
                content_type="application/json",
            )
        found = self._finding_by_id(request)
        try:
            ask = AcknowledgeRequest.model_validate_json(await request.read())
        except ValidationError as exc:
            raise web.HTTPBadRequest(
                text=f'{{"error": "bad request: {exc.errors()[0]["msg"]}"}}',
                content_type="application/json",
            ) from None
        if found.state != "open":
            raise web.HTTPConflict(
                text=f'{{"error": "finding {found.id} is {found.state}"}}',
                content_type="application/json",
            )
        acked = found.model_copy(update={
            "state": "acknowledged", "acknowledged_by": name, "acknowledged_at": NOW,
            "note": ask.note,
        })
        step = FindingEvent(finding_id=found.id, kind="acknowledged", at=NOW, by=name,
                            note=ask.note)
        self._store_finding(acked, step)
        self.publish("finding", site_id=acked.site_id, finding=acked, event=step)
        return _json(acked)

    def _store_finding(self, finding: FindingView, step: FindingEvent) -> None:
        others = tuple(f for f in self.data.findings if f.id != finding.id)
        self.data.findings = (*others, finding)
        self.data.history = {
            **self.data.history, finding.id: (*self.data.history.get(finding.id, ()), step)
        }
        key = (finding.site_id, finding.camera_key)
        detail = self.data.details.get(key)
        if detail is not None:
            kept = tuple(f for f in detail.findings if f.id != finding.id)
            self.data.details = {
                **self.data.details,
                key: CameraDetail(camera=detail.camera, declared=detail.declared,
                                  observed=detail.observed, findings=(*kept, finding)),
            }

    async def _policies(self, request: web.Request) -> web.Response:
        return _page(request, tuple(p.summary for p in self.data.policies))

    async def _policy(self, request: web.Request) -> web.Response:
        for detail in self.data.policies:
            if detail.summary.policy_id == request.match_info["policy_id"]:
                return _json(detail)
        raise _not_found(f"no policy {request.match_info['policy_id']!r}")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        last = request.headers.get("Last-Event-ID")
        self.last_event_ids.append(last)
        after = int(last) if last is not None and last.isdigit() else len(self.events)
        queue: asyncio.Queue[ChangeEvent | None] = asyncio.Queue()
        for change in self.events[after:]:
            queue.put_nowait(change)
        self._subscribers.add(queue)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)
        self.streams += 1
        try:
            await response.write(b": welcome\n\n")
            while (change := await queue.get()) is not None:
                data = change.model_dump_json()
                await response.write(
                    f"id: {change.seq}\nevent: {change.kind}\ndata: {data}\n\n".encode()
                )
        except ConnectionResetError:
            pass
        finally:
            self.streams -= 1
            self._subscribers.discard(queue)
        return response

    def _fan_out(self, change: ChangeEvent | None) -> None:
        """On the fake's loop: one change (None: end of stream) to every stream."""
        for queue in list(self._subscribers):
            queue.put_nowait(change)
        if change is None:
            self._subscribers.clear()


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
