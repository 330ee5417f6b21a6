"""A zeep async transport over one shared aiohttp ``ClientSession``.

zeep's own ``AsyncTransport`` uses httpx and one client per transport; we
want every camera of an agent to share one connection pool, owned by
``OnvifClient``. zeep only needs ``post_xml`` for SOAP calls and reads
``status_code``, ``content``, ``headers`` and ``encoding`` of the reply.

HTTP Digest: a call made with credentials runs with ``HTTP_AUTH`` set to
its camera's ``DigestAuth`` (a context variable, because one transport
serves every camera). A 401 carrying a Digest challenge is answered once
with a Digest ``Authorization``; later requests to that camera carry it up
front, and a 401 to one of those (stale or rotated nonce) is re-challenged
once.

HTTP 401/403 are raised here as ``TransportError`` before zeep tries to
parse the body: cameras answer them with HTML pages, which would otherwise
turn an authentication failure into a baffling XML error.

Every other body must be well-formed XML, checked here with a strict
parser: zeep's lenient mode (which we want for schema deviations) also
switches lxml into *recover* mode, which turns a truncated answer into a
silently shorter one (a profile list cut short would hide audio).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import aiohttp
from lxml import etree
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL
from zeep.exceptions import TransportError
from zeep.transports import Transport
from zeep.wsdl.utils import etree_to_string

from agent.onvif.digest import DigestAuth, parse_challenge

USER_AGENT = "camwarden-agent"
AUTH_STATUSES = frozenset({401, 403})
_STRICT_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
URL_CACHE_SIZE = 16384
"""Parsed URLs kept per transport: a few XAddrs per camera, forgotten all
at once past this (a fleet that grew, or cameras that moved)."""

HTTP_AUTH: ContextVar[DigestAuth | None] = ContextVar("camwarden_http_auth", default=None)
"""The Digest state of the camera whose authenticated call is running, or None."""


ReplyHeaders = CIMultiDict[str] | CIMultiDictProxy[str]


def request_headers(headers: Mapping[str, str]) -> CIMultiDictProxy[str]:
    """The HTTP headers of a request: ours (User-Agent) and then ``headers``
    (zeep's SOAPAction and Content-Type). Read-only, so one made per
    request template serves every call of it, and aiohttp takes it as it is
    instead of converting a dict again per call."""
    merged = CIMultiDict({"User-Agent": USER_AGENT})
    merged.update(headers)
    return CIMultiDictProxy(merged)


@dataclass(frozen=True, slots=True)
class HttpReply:
    """The part of an HTTP response zeep's SOAP binding reads."""

    status_code: int
    content: bytes
    headers: ReplyHeaders
    """Read-only for every reader: aiohttp's own headers when they can be
    passed on as they are."""
    encoding: str | None
    document: etree._Element | None = None
    """The body, parsed strictly (None when empty): the lean path reads it."""


class AiohttpTransport(Transport):
    """Posts SOAP envelopes with a session it does not own (never closes it).

    Timeouts are the caller's business (``asyncio.timeout`` around the call),
    so that one budget covers connect, send, wait and read.
    """

    def __init__(self, session: aiohttp.ClientSession) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.aio = session
        self._urls: dict[str, URL] = {}
        """Each address parsed once: a camera's calls go to the same few,
        and aiohttp would parse the text again for every request."""

    def _url(self, address: str) -> URL:
        url = self._urls.get(address)
        if url is None:
            if len(self._urls) >= URL_CACHE_SIZE:
                self._urls.clear()
            url = self._urls[address] = URL(address)
        return url

    async def post(self, address: str, message: bytes | str,
                   headers: Mapping[str, str]) -> HttpReply:
        """POST ``message``; ``headers`` are zeep's, or ``request_headers``
        made of them once (the lean path's templates), sent as they are."""
        data = message.encode("utf-8") if isinstance(message, str) else message
        if not isinstance(headers, CIMultiDictProxy):
            headers = request_headers(headers)
        auth = HTTP_AUTH.get()
        status, content, reply_headers, encoding = await self._exchange(address, data, headers,
                                                                        auth)
        if status == 401 and auth is not None:
            challenge = parse_challenge(reply_headers.getall("WWW-Authenticate", ()))
            if challenge is not None and challenge.supported:
                auth.accept(challenge)
                status, content, reply_headers, encoding = await self._exchange(
                    address, data, headers, auth)
        if status in AUTH_STATUSES:
            raise TransportError(  # type: ignore[no-untyped-call]
                f"HTTP {status} from {address}",
                status_code=status,
                content=content[:200],
            )
        document = None
        if content:
            try:
                document = etree.fromstring(content, _STRICT_PARSER)
            except etree.XMLSyntaxError as exc:
                raise TransportError(  # type: ignore[no-untyped-call]
                    f"HTTP {status} from {address}: not well-formed XML: {exc}",
                    status_code=status,
                    content=content[:200],
                ) from exc
        return HttpReply(status, content, reply_headers, encoding, document)

    async def _exchange(self, address: str, data: bytes, headers: CIMultiDictProxy[str],
                        auth: DigestAuth | None) -> tuple[int, bytes, ReplyHeaders, str | None]:
        """One POST, with a Digest Authorization when ``auth`` holds a challenge:
        the answer's status, body, headers and charset."""
        url = self._url(address)
        authorization = None
        if auth is not None and auth.challenge is not None:
            authorization = auth.header("POST", url.raw_path_qs or "/")
        sent: CIMultiDict[str] | CIMultiDictProxy[str] = headers
        if authorization is not None:
            sent = CIMultiDict(headers)
            sent["Authorization"] = authorization
        async with self.aio.post(url, data=data, headers=sent) as response:
            content = await response.read()
            reply_headers: ReplyHeaders = response.headers
            if "Content-Encoding" in reply_headers:
                # aiohttp already decoded the body; zeep must not decode it again.
                reply_headers = CIMultiDict(reply_headers)
                reply_headers.popall("Content-Encoding", None)
            status, charset = response.status, response.charset
        if authorization is not None and auth is not None and status != 401:
            auth.worked = True
        return status, content, reply_headers, charset

    async def post_xml(self, address: str, envelope: Any, headers: dict[str, str]) -> HttpReply:
        message = etree_to_string(envelope)  # type: ignore[no-untyped-call]
        return await self.post(address, message, headers)

    async def get(self, address: str, params: Any, headers: Any) -> Any:
        raise NotImplementedError("ONVIF over SOAP only posts")

    async def aclose(self) -> None:
        """The session belongs to OnvifClient, which closes it."""
