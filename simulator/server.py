"""Serve simulated cameras over real HTTP on loopback, one TCP port each.

One aiohttp low-level server and one runner carry every camera: each camera
gets its own listening socket (a ``SockSite``), and the handler finds the
camera from the local port the request arrived on. This keeps a 5,000-camera
fleet to one process, one event loop and no per-camera application objects.

Per request: parse the envelope (hardened lxml parser), look up the
operation by (namespace, name), check the WS-Security UsernameToken against
the camera's credentials and clock (unless the operation is PRE_AUTH or the
camera is anonymous), answer from the camera's current state. Unknown
operations get ``ter:ActionNotSupported``; bad credentials or a stale
Created get ``ter:NotAuthorized`` with HTTP 400.

Only loopback addresses are accepted for ``host``.
"""

from __future__ import annotations

import ipaddress
import logging
import resource
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from aiohttp import web

from simulator.camera import SimCamera
from simulator.services import SERVICE_PATHS, Context, Handler, offers, operations
from simulator.services.device import PRE_AUTH
from simulator.soap import (
    CONTENT_TYPE,
    TDS,
    SoapFault,
    action_not_supported,
    check_username_token,
    envelope,
    parse_request,
)

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class SimEndpoint:
    """Where one camera is served: ``address`` is ``host:port``."""

    camera: SimCamera
    address: str

    @property
    def host(self) -> str:
        return self.address.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    @property
    def device_xaddr(self) -> str:
        """The Device service URL a client starts from."""
        return f"http://{self.address}{SERVICE_PATHS['device']}"


class SimulatedFleet:
    """An async context manager serving ``cameras`` on ``host``, each on
    its own free TCP port. ``endpoints`` is filled on entry, in the order
    of ``cameras``; the cameras stay mutable while served.

    Raises ``ValueError`` for a non-loopback host or an empty fleet and
    ``OSError`` when the sockets cannot be bound (for a large fleet the
    soft open-file limit is raised towards the hard limit first).
    """

    def __init__(self, cameras: Sequence[SimCamera], *, host: str = "127.0.0.1") -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"host {host!r} is not a loopback address (loopback only)")
        if not cameras:
            raise ValueError("no cameras to serve")
        self._cameras = list(cameras)
        self._host = host
        self._ops: dict[tuple[str, str], tuple[str, Handler]] = operations()
        self._paths = frozenset(SERVICE_PATHS.values())
        self._by_port: dict[int, SimEndpoint] = {}
        self._runner: web.ServerRunner | None = None
        self.endpoints: list[SimEndpoint] = []

    async def __aenter__(self) -> SimulatedFleet:
        _ensure_fd_limit(len(self._cameras) + 256)
        server = web.Server(self._handle, access_log=None)
        runner = web.ServerRunner(server, shutdown_timeout=1.0)
        await runner.setup()
        self._runner = runner
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        try:
            for camera in self._cameras:
                sock = socket.socket(family, socket.SOCK_STREAM)
                try:
                    sock.bind((self._host, 0))
                    sock.setblocking(False)
                except OSError:
                    sock.close()
                    raise
                port = sock.getsockname()[1]
                host = f"[{self._host}]" if family == socket.AF_INET6 else self._host
                endpoint = SimEndpoint(camera, f"{host}:{port}")
                site = web.SockSite(runner, sock, backlog=64)
                await site.start()
                self._by_port[port] = endpoint
                self.endpoints.append(endpoint)
        except BaseException:
            await runner.cleanup()
            self._runner = None
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def endpoint(self, camera_id_or_serial: str) -> SimEndpoint:
        """The endpoint of the camera with this camera id or serial;
        ``KeyError`` naming it when no served camera matches."""
        for endpoint in self.endpoints:
            cam = endpoint.camera
            if camera_id_or_serial in (cam.camera_id, cam.serial):
                return endpoint
        raise KeyError(f"no served camera has id or serial {camera_id_or_serial!r}")

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        transport = request.transport
        sockname = transport.get_extra_info("sockname") if transport is not None else None
        endpoint = self._by_port.get(sockname[1]) if sockname else None
        if endpoint is None:
            return web.Response(status=404, text="no camera here")
        if request.path not in self._paths:
            return web.Response(status=404, text=f"no ONVIF service at {request.path}")
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        try:
            data = await request.read()  # aiohttp refuses bodies over 1 MiB
        except web.HTTPRequestEntityTooLarge as exc:
            return web.Response(status=413, text=exc.text)
        try:
            body = self._answer(endpoint, data)
            status = 200
        except SoapFault as fault:
            body, status = fault.envelope(), fault.status
        return web.Response(
            status=status, body=body.encode("utf-8"), headers={"Content-Type": CONTENT_TYPE}
        )

    def _answer(self, endpoint: SimEndpoint, data: bytes) -> str:
        camera = endpoint.camera
        req = parse_request(data)
        now = camera.now()
        pre_auth = req.namespace == TDS and req.operation in PRE_AUTH
        if not (camera.anonymous or pre_auth):
            check_username_token(req.header, camera.username, camera.password, now)
        entry = self._ops.get((req.namespace, req.operation))
        if entry is None or not offers(camera, entry[0]):
            raise action_not_supported(req.operation)
        _, handler = entry
        return envelope(handler(Context(camera, endpoint.address, now), req.body))


def _ensure_fd_limit(needed: int) -> None:
    """Raise the soft open-file limit towards ``needed`` (never above the
    hard limit): each served camera holds one listening socket."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        log.info("raised the open-file limit from %d to %d", soft, target)
