"""Fixtures for the ONVIF client tests: a replay camera and simulator cameras.

Both are real HTTP servers on 127.0.0.1. The replay camera answers each
operation with a stored file (``replays/base``), except where a quirk file
(``replays/quirks``) replaces it; see ``replays/README.md``. It can also
hang on an operation (until the test ends) or drop the connection of the
first request for an operation, to exercise timeouts and retries. With
``digest=("admin", "s3cret")`` it is a Digest-only camera: every request
needs an HTTP Digest ``Authorization`` (MD5, qop=auth, checked here with
hashlib, independently of the client's code), a WS-Security header alone
earns a 401 challenge.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from lxml import etree

from agent.onvif import OnvifClient
from simulator.camera import SimCamera, derived_endpoint_reference, derived_mac

REPLAYS = Path(__file__).parent / "replays"
WSSE_SECURITY = (
    "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}Security"
)
SOAP12 = "application/soap+xml; charset=utf-8"
_HEADER = re.compile(r"^<!-- replay (?P<attrs>.*?) -->\n")
_ATTR = re.compile(r'(\w[\w-]*)=("[^"]*"|\S+)')
NOT_SUPPORTED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope '
    b'xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault><env:Code>'
    b"<env:Value>env:Receiver</env:Value><env:Subcode><env:Value>ter:ActionNotSupported"
    b"</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang=\"en\">"
    b"Optional Action Not Implemented</env:Text></env:Reason></env:Fault></env:Body>"
    b"</env:Envelope>"
)


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    unsigned_only: bool = False


def load_quirk(name: str) -> tuple[str, Reply]:
    """(operation, reply) of ``replays/quirks/<name>.xml``; ValueError names a bad file."""
    path = REPLAYS / "quirks" / f"{name}.xml"
    raw = path.read_text(encoding="utf-8")
    match = _HEADER.match(raw)
    if match is None:
        raise ValueError(f"{path}: first line must be '<!-- replay operation=... -->'")
    attrs = {k: v.strip('"') for k, v in _ATTR.findall(match["attrs"])}
    if "operation" not in attrs:
        raise ValueError(f"{path}: the replay header names no operation")
    body = raw[match.end():].encode("utf-8")
    reply = Reply(int(attrs.get("status", "200")), attrs.get("content-type", SOAP12), body,
                  attrs.get("when") == "unsigned")
    return attrs["operation"], reply


def base_replies() -> dict[str, Reply]:
    return {path.stem: Reply(200, SOAP12, path.read_bytes())
            for path in sorted((REPLAYS / "base").glob("*.xml"))}


@dataclass
class ReplayCamera:
    """A camera that replays stored answers. ``requests`` records
    (operation, signed) in arrival order."""

    quirks: dict[str, Reply]
    hang: frozenset[str] = frozenset()
    drop_once: frozenset[str] = frozenset()
    address: str = ""
    digest: tuple[str, str] | None = None
    requests: list[tuple[str, bool]] = field(default_factory=list)
    challenges: int = 0
    nonce: str = "4f1c0d2e9a"
    _base: dict[str, Reply] = field(default_factory=base_replies)
    _dropped: set[str] = field(default_factory=set)
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.requests]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        root = etree.fromstring(await request.read())
        body = root.find("{*}Body")
        operation = etree.QName(body[0]).localname
        signed = root.find(f".//{WSSE_SECURITY}") is not None
        if self.digest is not None and not self._digest_ok(request):
            self.challenges += 1
            return web.Response(status=401, text="<html>401</html>", content_type="text/html",
                                headers={"WWW-Authenticate": f'Digest realm="cam", qop="auth", '
                                                             f'nonce="{self.nonce}", '
                                                             f'opaque="x1"'})
        self.requests.append((operation, signed))
        if operation in self.hang:
            await self._release.wait()
        if operation in self.drop_once and operation not in self._dropped:
            self._dropped.add(operation)
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        reply = self.quirks.get(operation)
        if self.digest is not None and reply is not None and reply.status == 401:
            reply = None  # the transport-level auth is the digest check above
        if reply is None or (reply.unsigned_only and signed):
            reply = self._base.get(operation)
        if reply is None:
            return web.Response(status=500, body=NOT_SUPPORTED, content_type=None,
                                headers={"Content-Type": SOAP12})
        return web.Response(status=reply.status, body=reply.body,
                            headers={"Content-Type": reply.content_type})


    def _digest_ok(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Digest ") or self.digest is None:
            return False
        params = dict(re.findall(r'(\w+)="?([^",]*)"?', header[len("Digest "):]))
        user, password = self.digest

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = md5(f"{user}:cam:{password}")
        ha2 = md5(f"POST:{request.path_qs}")
        expected = md5(f"{ha1}:{self.nonce}:{params.get('nc')}:{params.get('cnonce')}:auth:{ha2}")
        return (params.get("username") == user and params.get("uri") == request.path_qs
                and params.get("nonce") == self.nonce and params.get("opaque") == "x1"
                and params.get("response") == expected)


StartReplay = Callable[..., Awaitable[ReplayCamera]]


@pytest.fixture
async def replay_camera() -> AsyncIterator[StartReplay]:
    """``await replay_camera("quirk-a", ..., hang={"GetRecordings"})`` starts a
    replay camera on 127.0.0.1 and returns it (``.address`` is host:port)."""
    runners: list[tuple[web.AppRunner, ReplayCamera]] = []

    async def start(*quirks: str, hang: Iterable[str] = (), drop_once: Iterable[str] = (),
                    digest: tuple[str, str] | None = None) -> ReplayCamera:
        camera = ReplayCamera(dict(load_quirk(name) for name in quirks),
                              hang=frozenset(hang), drop_once=frozenset(drop_once),
                              digest=digest)
        app = web.Application()
        app.router.add_post("/{path:.*}", camera.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        camera.address = f"127.0.0.1:{port}"
        runners.append((runner, camera))
        return camera

    yield start
    for runner, camera in runners:
        camera._release.set()
        await runner.cleanup()


@pytest.fixture
async def onvif() -> AsyncIterator[OnvifClient]:
    async with OnvifClient(timeout=3.0) as client:
        yield client


@pytest.fixture
def sim_camera() -> Callable[..., SimCamera]:
    """``sim_camera(serial, **changes)``: a compliant simulated camera."""
    return make_sim_camera


def make_sim_camera(serial: str = "SER-1", **changes: Any) -> SimCamera:
    """A compliant simulated camera (admin / s3cret) with ``changes`` applied."""
    camera = SimCamera(site_id="site-a", camera_id="cam-1", serial=serial, manufacturer="Acme",
                       model="X1", firmware="1.0.0", mac=derived_mac(serial),
                       endpoint_reference=derived_endpoint_reference(serial),
                       username="admin", password="s3cret")
    for key, value in changes.items():
        if not hasattr(camera, key):
            raise AttributeError(f"SimCamera has no field {key!r}")
        setattr(camera, key, value)
    return camera
