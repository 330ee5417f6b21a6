"""The transport against a real HTTP server: what it hands zeep and the
lean reader when aiohttp has already decoded a compressed body."""

from __future__ import annotations

import gzip

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from agent.onvif.transport import AiohttpTransport

ANSWER = (b'<?xml version="1.0"?><e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope">'
          b"<e:Body/></e:Envelope>")


async def _serve(request: web.Request) -> web.Response:
    encoding = request.query.get("encoding")
    if encoding == "gzip":
        return web.Response(body=gzip.compress(ANSWER), content_type="application/soap+xml",
                            headers={"Content-Encoding": "gzip"})
    return web.Response(body=ANSWER, content_type="application/soap+xml")


async def _post(query: str) -> tuple[bytes, dict[str, str], str | None]:
    app = web.Application()
    app.router.add_post("/onvif/device_service", _serve)
    async with TestServer(app) as server, aiohttp.ClientSession() as session:
        transport = AiohttpTransport(session)
        url = str(server.make_url("/onvif/device_service")) + query
        reply = await transport.post(url, b"<x/>", {"Content-Type": "application/soap+xml"})
        assert reply.document is not None
        return reply.content, dict(reply.headers), reply.document.tag


async def test_a_gzip_answer_arrives_decoded_and_says_so_no_more() -> None:
    content, headers, root = await _post("?encoding=gzip")
    assert content == ANSWER
    assert "Content-Encoding" not in headers  # zeep must not decode it a second time
    assert root == "{http://www.w3.org/2003/05/soap-envelope}Envelope"


async def test_a_plain_answer_keeps_its_headers() -> None:
    content, headers, _ = await _post("")
    assert content == ANSWER
    assert headers["Content-Type"].startswith("application/soap+xml")
