"""``OnvifClient``: audits cameras over ONVIF, many at a time, cheaply.

One client per agent process. It owns one aiohttp session (one connection
pool) and one zeep client per service WSDL, made when a call first needs
zeep (``zeep_clients``: the lean path's own calls need none); the WSDLs
themselves are parsed once per process (``wsdl_cache``). ``collect`` never raises for anything a
camera does: what went wrong is in ``Collected.errors``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import aiohttp

from agent.onvif.camera import CameraSession, Limits
from agent.onvif.collect import gather
from agent.onvif.digest import DigestAuth
from agent.onvif.lean import Template
from agent.onvif.lean_requests import STORED
from agent.onvif.transport import AiohttpTransport
from agent.onvif.zeep_clients import ZeepClients
from schemas.facts import CameraFacts
from schemas.messages import CameraErrorInfo

IDLE_CONNECTION_S = 2.0
"""How long an idle connection to a camera is kept. A camera's calls follow
each other within milliseconds during its collect, and its next audit is
minutes away, so keeping it longer (aiohttp's default is 15 s) only holds
sockets and memory for cameras already done: a few thousand at a time in
a large fleet."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Credentials:
    """A camera account. The password never appears in a repr or a log."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Collected:
    """Everything one ``collect`` learnt about one camera."""

    address: str
    """host:port as given."""
    reachable: bool
    facts: CameraFacts | None
    """None when nothing could be read (unreachable, or auth failed everywhere
    and the clock could not be read either)."""
    errors: tuple[CameraErrorInfo, ...]


def check_address(address: str) -> None:
    """``host:port`` (``[v6]:port`` for IPv6), else ValueError naming it."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"camera address {address!r} is not host:port")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise ValueError(f"camera address {address!r}: an IPv6 host needs [brackets]")


class OnvifClient:
    """Use as ``async with OnvifClient() as onvif: await onvif.collect(...)``.

    ``timeout`` (seconds) bounds each SOAP call; ``max_concurrency`` bounds
    calls in flight across all cameras, ``per_camera`` those to one camera;
    ``max_cameras`` bounds cameras being audited at once (default: twice
    ``max_concurrency``), so that gathering a whole site's ``collect`` calls
    keeps only that many cameras' half-read answers in memory rather than
    every camera's; ``clock`` is "now" in aware UTC (tests inject one);
    ``lean`` (default) makes the audit's hot calls without zeep's serialiser
    (``agent.onvif.lean``), False sends every call through zeep.
    """

    def __init__(self, *, timeout: float = 10.0, max_concurrency: int = 64,
                 clock: Callable[[], datetime] = utc_now, per_camera: int = 2,
                 retries: int = 2, backoff: float = 0.1,
                 max_cameras: int | None = None, lean: bool = True) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency!r}")
        if per_camera < 1:
            raise ValueError(f"per_camera must be >= 1, got {per_camera!r}")
        if max_cameras is not None and max_cameras < 1:
            raise ValueError(f"max_cameras must be >= 1, got {max_cameras!r}")
        if retries < 0 or backoff < 0:
            raise ValueError(f"retries and backoff must be >= 0, got {retries!r}, {backoff!r}")
        self._limits = Limits(timeout=timeout, per_camera=per_camera, retries=retries,
                              backoff=backoff)
        self._max_concurrency = max_concurrency
        self._max_cameras = max_cameras or 2 * max_concurrency
        self._cameras: asyncio.Semaphore | None = None
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._clients: ZeepClients | None = None
        self._shared: asyncio.Semaphore | None = None
        self._templates: dict[tuple[Any, ...], Template | None] | None = (
            dict(STORED) if lean else None)
        """Lean request templates (``agent.onvif.lean``), starting with the
        stored ones; None: every call via zeep."""
        self._digests: dict[tuple[str, str], DigestAuth] = {}
        """HTTP Digest state per (address, username): a camera that wanted
        Digest once is sent it up front next time."""

    async def __aenter__(self) -> OnvifClient:
        connector = aiohttp.TCPConnector(limit=self._max_concurrency, limit_per_host=0,
                                         keepalive_timeout=IDLE_CONNECTION_S)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._limits.timeout),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        self._clients = ZeepClients(AiohttpTransport(self._session))
        self._shared = asyncio.Semaphore(self._max_concurrency)
        self._cameras = asyncio.Semaphore(self._max_cameras)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None
        self._clients = None

    async def collect(self, address: str, credentials: Credentials | None) -> Collected:
        """Audit the camera at ``address`` (host:port) with ``credentials``
        (None: anonymously). Raises only for misuse: a bad address
        (ValueError) or a client not entered (RuntimeError)."""
        check_address(address)
        if (self._session is None or self._shared is None or self._cameras is None
                or self._clients is None):
            raise RuntimeError("OnvifClient.collect outside 'async with OnvifClient()'")
        async with self._cameras:
            cam = CameraSession(
                address,
                credentials.username if credentials else None,
                credentials.password if credentials else None,
                clients=self._clients, shared=self._shared, limits=self._limits,
                clock=self._clock, digest=self._digest(address, credentials),
                templates=self._templates,
            )
            gathered = await gather(cam)
        return Collected(address=address, reachable=gathered.reachable, facts=gathered.facts,
                         errors=gathered.errors)

    def _digest(self, address: str, credentials: Credentials | None) -> DigestAuth | None:
        """This camera account's Digest state, new if the password changed."""
        if credentials is None:
            return None
        key = (address, credentials.username)
        digest = self._digests.get(key)
        if digest is None or digest.password != credentials.password:
            digest = DigestAuth(credentials.username, credentials.password)
            self._digests[key] = digest
        return digest
