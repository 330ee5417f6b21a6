"""A zeep async transport over one shared aiohttp ``ClientSession``.

zeep's own ``AsyncTransport`` uses httpx and one client per transport; we
want every camera of an agent to share one connection pool, owned by
``OnvifClient``. zeep only needs ``post_xml`` for SOAP calls and reads
``status_code``, ``content``, ``headers`` and ``encoding`` of the reply.

HTTP 401/403 are raised here as ``TransportError`` before zeep tries to
parse the body: cameras answer them with HTML pages, which would otherwise
turn an authentication failure into a baffling XML error.

Every other body must be well-formed XML, checked here with a strict
parser: zeep's lenient mode (which we want for schema deviations) also
switches lxml into *recover* mode, which turns a truncated answer into a
silently shorter one (a profile list cut short would hide audio).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from lxml import etree
from multidict import CIMultiDict
from zeep.exceptions import TransportError
from zeep.transports import Transport
from zeep.wsdl.utils import etree_to_string

USER_AGENT = "camwarden-agent"
AUTH_STATUSES = frozenset({401, 403})
_STRICT_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)


@dataclass(frozen=True, slots=True)
class HttpReply:
    """The part of an HTTP response zeep's SOAP binding reads."""

    status_code: int
    content: bytes
    headers: CIMultiDict[str]
    encoding: str | None


class AiohttpTransport(Transport):
    """Posts SOAP envelopes with a session it does not own (never closes it).

    Timeouts are the caller's business (``asyncio.timeout`` around the call),
    so that one budget covers connect, send, wait and read.
    """

    def __init__(self, session: aiohttp.ClientSession) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.aio = session

    async def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> HttpReply:
        data = message.encode("utf-8") if isinstance(message, str) else message
        headers = {"User-Agent": USER_AGENT, **headers}
        async with self.aio.post(address, data=data, headers=headers) as response:
            content = await response.read()
            reply_headers = CIMultiDict(response.headers)
            # aiohttp already decoded the body; zeep must not decode it again.
            reply_headers.popall("Content-Encoding", None)
            reply = HttpReply(response.status, content, reply_headers, response.charset)
        if reply.status_code in AUTH_STATUSES:
            raise TransportError(  # type: ignore[no-untyped-call]
                f"HTTP {reply.status_code} from {address}",
                status_code=reply.status_code,
                content=content[:200],
            )
        if content:
            try:
                etree.fromstring(content, _STRICT_PARSER)
            except etree.XMLSyntaxError as exc:
                raise TransportError(  # type: ignore[no-untyped-call]
                    f"HTTP {reply.status_code} from {address}: not well-formed XML: {exc}",
                    status_code=reply.status_code,
                    content=content[:200],
                ) from exc
        return reply

    async def post_xml(self, address: str, envelope: Any, headers: dict[str, str]) -> HttpReply:
        message = etree_to_string(envelope)  # type: ignore[no-untyped-call]
        return await self.post(address, message, headers)

    async def get(self, address: str, params: Any, headers: Any) -> Any:
        raise NotImplementedError("ONVIF over SOAP only posts")

    async def aclose(self) -> None:
        """The session belongs to OnvifClient, which closes it."""
