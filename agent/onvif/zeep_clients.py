"""zeep clients made on first need, one per service WSDL, shared by every camera.

The lean path (``agent.onvif.lean``) makes the audit's hot calls from
stored request templates and reads their answers and SOAP faults without a
WSDL, so a process whose cameras all answer as expected never parses one:
that parsing (~0.35 s of CPU for the five services) was a noticeable part of
an agent's whole CPU. zeep is still the reference: the first call that needs
it (``lean=False``, an operation the lean path does not cover, an answer it
does not recognise, a template not stored) makes that service's client,
parsing its WSDL once per process (``wsdl_cache``) in a worker thread, off
the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from zeep.client import AsyncClient

from agent.onvif import wsdl_cache
from agent.onvif.transport import AiohttpTransport
from agent.onvif.wsdl_cache import ServiceDef


class ZeepClients:
    """``await clients.get(service)``: that service's zeep AsyncClient over
    ``transport``, built the first time it is asked for."""

    def __init__(self, transport: AiohttpTransport) -> None:
        self.transport = transport
        self._clients: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> frozenset[str]:
        """Keys of the services whose client (and WSDL) exists by now."""
        return frozenset(self._clients)

    async def get(self, service: ServiceDef) -> Any:
        client = self._clients.get(service.key)
        if client is not None:
            return client
        async with self._lock:
            client = self._clients.get(service.key)
            if client is None:
                document = await asyncio.to_thread(wsdl_cache.document, service)
                client = AsyncClient(document, transport=self.transport,  # type: ignore[no-untyped-call]
                                     settings=wsdl_cache.zeep_settings())
                self._clients[service.key] = client
        return client
