"""One camera's SOAP calls: authentication, limits, timeout and retries.

A ``CameraSession`` lives for one ``collect``. It builds cheap per-camera
service proxies over the process-wide zeep clients, signs each call with a
fresh WS-Security token dated on the camera's clock, and runs every call
under: the client-wide semaphore, the small per-camera semaphore (cameras
choke on parallel requests), one timeout covering the whole exchange, and
retries with backoff and jitter for connections that drop. Every call here
is an idempotent read, which is what makes the retry safe.
"""

from __future__ import annotations

import asyncio
import enum
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from zeep.proxy import AsyncServiceProxy

from agent.onvif import lean
from agent.onvif.boundary import ConnectionLost, error_info, soap_boundary
from agent.onvif.digest import DigestAuth
from agent.onvif.transport import HTTP_AUTH, HttpReply
from agent.onvif.wsdl_cache import ServiceDef
from agent.onvif.wsse import UsernameTokenText, security_header
from agent.onvif.zeep_clients import ZeepClients
from schemas.errors import CameraError
from schemas.messages import CameraErrorInfo


class _Unknown(enum.Enum):
    UNKNOWN = enum.auto()


_UNKNOWN = _Unknown.UNKNOWN
"""No template decided yet for a call's key (``CameraSession._known_template``)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """How hard we lean on cameras. Seconds for times."""

    timeout: float = 10.0
    per_camera: int = 2
    retries: int = 2
    """Extra attempts after a dropped connection (not after a timeout: a
    camera that did not answer in time would just cost another timeout)."""
    backoff: float = 0.1
    """First retry delay; doubles each time, with up to 100 % jitter."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one call gave: a value, or the error it ended with."""

    value: Any = None
    error: CameraError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class CameraSession:
    """Calls to one camera at ``address`` (host:port) for one collect.

    ``clients`` gives the zeep AsyncClient of a service, sharing our
    transport, made on first need; ``shared`` is the client-wide semaphore; ``digest`` the HTTP
    Digest state of this camera account (kept by the client across collects;
    None when auditing anonymously).
    """

    def __init__(self, address: str, username: str | None, password: str | None, *,
                 clients: ZeepClients, shared: asyncio.Semaphore, limits: Limits,
                 clock: Callable[[], datetime], digest: DigestAuth | None = None,
                 templates: dict[tuple[Any, ...], lean.Template | None] | None = None) -> None:
        self.address = address
        self.base_url = f"http://{address}"
        self.device_url = f"{self.base_url}/onvif/device_service"
        self._username = username
        self._password = password
        self._zeep = clients
        self._shared = shared
        self._own = asyncio.Semaphore(limits.per_camera)
        self._limits = limits
        self._clock = clock
        self.digest = digest
        self._templates = templates
        """Lean request templates shared by the client's cameras; None: zeep only."""
        self._proxies: dict[tuple[str, str], Any] = {}
        self._token: UsernameTokenText | None = None
        self.clock_offset = timedelta(0)
        """Camera clock minus ours, learnt from GetSystemDateAndTime."""
        self.errors: list[CameraErrorInfo] = []

    def now(self) -> datetime:
        """Our clock (the injected one), aware UTC."""
        return self._clock()

    @property
    def has_credentials(self) -> bool:
        return self._username is not None

    def note(self, error: CameraError) -> None:
        """Keep an error for the report."""
        self.errors.append(error_info(error))

    async def _proxy(self, service: ServiceDef, xaddr: str) -> Any:
        key = (service.key, xaddr)
        proxy = self._proxies.get(key)
        if proxy is None:
            # zeep's AsyncClient.create_service returns a *sync* proxy; build the
            # async one ourselves from the parsed binding (no WSDL work here).
            client = await self._zeep.get(service)
            binding = client.wsdl.bindings[service.binding_qname]
            proxy = AsyncServiceProxy(client, binding, address=xaddr)  # type: ignore[no-untyped-call]
            self._proxies[key] = proxy
        return proxy

    def _headers(self, auth: bool) -> list[Any] | None:
        if not auth or self._username is None or self._password is None:
            return None
        created = self._clock() + self.clock_offset
        return [security_header(self._username, self._password, created)]

    def _header_text(self, auth: bool) -> str | None:
        """``_headers``' header as text, for the lean path's templates."""
        if not auth or self._username is None or self._password is None:
            return None
        if self._token is None:
            self._token = UsernameTokenText(self._username, self._password)
        return self._token.render(self._clock() + self.clock_offset)

    async def call(self, service: ServiceDef, xaddr: str, operation: str, *,
                   auth: bool = True, **params: Any) -> Any:
        """One SOAP read. Raises a ``CameraError`` kind naming camera and operation.

        With ``auth``, the call is signed (WS-Security) and may answer an HTTP
        Digest challenge; without, it goes out bare (the anonymous probe).

        A zeep client a call needs is made before its timeout starts, so that
        parsing a WSDL (once per process) never counts against a camera."""
        template = self._known_template(service, operation, params)
        if template is _UNKNOWN:
            template = await self._template(service, operation, params)
        method = (getattr(await self._proxy(service, xaddr), operation) if template is None
                  else None)
        attempt = 0
        while True:
            http_auth = HTTP_AUTH.set(self.digest if auth else None)
            try:
                async with self._own, self._shared:
                    with soap_boundary(self.address, operation):
                        async with asyncio.timeout(self._limits.timeout):
                            if method is not None:
                                return await method(_soapheaders=self._headers(auth), **params)
                            assert template is not None
                            reply = await self._lean_call(service, xaddr, operation, template,
                                                          auth, params)
                            if not isinstance(reply, HttpReply):
                                return reply
                break  # an answer only zeep can read
            except ConnectionLost:
                if attempt >= self._limits.retries:
                    raise
            finally:
                HTTP_AUTH.reset(http_auth)
            delay = self._limits.backoff * (2**attempt)
            attempt += 1
            await asyncio.sleep(delay + random.uniform(0, delay))
        client = await self._zeep.get(service)
        binding = client.wsdl.bindings[service.binding_qname]
        with soap_boundary(self.address, operation):
            return binding.process_reply(client, binding.get(operation), reply)

    def _known_template(self, service: ServiceDef, operation: str, params: dict[str, Any]
                        ) -> lean.Template | _Unknown | None:
        """``_template`` without an await when the answer is already known
        (stored, built before, or no lean path): the usual case, per call."""
        if self._templates is None or not lean.covers(operation):
            return None
        return self._templates.get(lean.template_key(service.key, operation, params), _UNKNOWN)

    async def _template(self, service: ServiceDef, operation: str,
                        params: dict[str, Any]) -> lean.Template | None:
        """The lean request template for this call, built on first use; None
        when the lean path is off, does not read this operation, or zeep's
        request could not be cut into a template (then zeep makes the call)."""
        if self._templates is None or not lean.covers(operation):
            return None
        key = lean.template_key(service.key, operation, params)
        if key not in self._templates:
            client = await self._zeep.get(service)
            binding = client.wsdl.bindings[service.binding_qname]
            try:
                self._templates[key] = lean.build_template(client, binding, operation, params)
            except ValueError:
                self._templates[key] = None
        return self._templates[key]

    async def _lean_call(self, service: ServiceDef, xaddr: str, operation: str,
                         template: lean.Template, auth: bool, params: dict[str, Any]) -> Any:
        """Post the templated request on zeep's transport and read a
        recognised answer ourselves; a SOAP fault (or an error status) is
        raised by zeep's own fault reader, which needs no WSDL. Any other
        answer (a shape we do not know) is returned as the ``HttpReply`` for
        zeep's reply processing (``call``), so it is judged as before."""
        message = template.render(self._header_text(auth), params)
        reply = await self._zeep.transport.post(xaddr, message, template.http_headers)
        try:
            return lean.read_reply(reply, operation)
        except lean.Unrecognised:
            lean.raise_fault(reply, self._zeep.transport)
            return reply

    async def attempt(self, service: ServiceDef, xaddr: str, operation: str, *,
                      auth: bool = True, note: bool = True, **params: Any) -> Outcome:
        """``call`` that returns its error instead of raising it (and, unless
        ``note`` is False, keeps it for the report)."""
        try:
            return Outcome(value=await self.call(service, xaddr, operation, auth=auth, **params))
        except CameraError as error:
            if note:
                self.note(error)
            return Outcome(error=error)
