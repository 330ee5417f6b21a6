"""The one place where library exceptions become ours.

``soap_boundary(camera, operation)`` wraps every SOAP call: aiohttp, zeep,
lxml and timeout exceptions come out as ``schemas.errors`` kinds naming the
camera and the operation. ``error_info`` turns those into the
``CameraErrorInfo`` entries a report carries. Anything else (a bug of ours)
passes through untouched.
"""

from __future__ import annotations

from types import TracebackType
from typing import Literal

import aiohttp
from lxml import etree
from zeep import exceptions as zeep_exc

from schemas.errors import (
    AuthFailed,
    CameraError,
    CameraUnreachable,
    NotSupported,
    ProtocolError,
)
from schemas.messages import CameraErrorInfo, ErrorKind


class CallTimedOut(CameraUnreachable):
    """The camera did not answer within the per-call timeout. Still a
    ``CameraUnreachable`` for callers; reported with kind "timeout"."""


class ConnectionLost(CameraUnreachable):
    """An established connection dropped (reset, server disconnected). Worth
    one more try for an idempotent read: keep-alive sockets die quietly."""


AUTH_FAULTS = frozenset({"notauthorized", "failedauthentication", "invalidsecurity",
                         "failedcheck", "invalidsecuritytoken", "sendernotauthorized"})
"""Fault subcode local names meaning "your credentials were refused"."""

UNSUPPORTED_FAULTS = frozenset({"actionnotsupported", "notsupported", "noprofile",
                                "audionotsupported", "noptznode", "noaudiosource"})
"""Fault subcode local names meaning "this device does not do that"."""

UNSUPPORTED_REASONS = ("not implemented", "not supported", "no such operation",
                       "unknown operation", "method not found")


def _local(code: object) -> str:
    """Local name of a fault code: ``ter:NotAuthorized``, a QName, or ``{ns}X``."""
    text = getattr(code, "localname", None) or str(code or "")
    return text.rsplit("}", 1)[-1].rsplit(":", 1)[-1].strip().lower()


def classify_fault(fault: zeep_exc.Fault, camera: str, operation: str) -> CameraError:
    """A SOAP fault as one of our kinds, from its subcodes and then its reason."""
    codes = [_local(code) for code in (fault.subcodes or [])] + [_local(fault.code)]
    reason = (fault.message or "").strip()
    message = f"SOAP fault {'/'.join(c for c in codes if c) or '?'}: {reason or 'no reason'}"
    lowered = reason.lower()
    if any(code in AUTH_FAULTS for code in codes) or "not authorized" in lowered:
        return AuthFailed(message, camera=camera, operation=operation)
    if any(code in UNSUPPORTED_FAULTS for code in codes) or any(
        phrase in lowered for phrase in UNSUPPORTED_REASONS
    ):
        return NotSupported(message, camera=camera, operation=operation)
    return ProtocolError(message, camera=camera, operation=operation)


def classify_http(error: zeep_exc.TransportError, camera: str, operation: str) -> CameraError:
    """A non-SOAP HTTP answer (no parsable envelope) as one of our kinds."""
    status = error.status_code
    if status in (401, 403):
        return AuthFailed(f"HTTP {status}", camera=camera, operation=operation)
    return ProtocolError(f"HTTP {status} without a readable SOAP envelope: {_short(error)}",
                         camera=camera, operation=operation)


class soap_boundary:  # lower case: used as the function it was, ``with soap_boundary(...)``
    """Run one SOAP exchange; library failures leave as ``CameraError``s.

    ``ValueError`` is mapped too because zeep raises it (via isodate and
    its own parsers) for malformed values inside an otherwise valid answer.

    A class rather than a ``@contextmanager`` generator: it wraps every
    call, and a generator plus its wrapper object per call was a measurable
    part of the agent's per-call CPU (bench/README.md).
    """

    __slots__ = ("_camera", "_operation")

    def __init__(self, camera: str, operation: str) -> None:
        self._camera = camera
        self._operation = operation

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if exc is None or isinstance(exc, CameraError):
            return False
        camera, operation = self._camera, self._operation
        if isinstance(exc, TimeoutError):
            raise CallTimedOut("no answer within the timeout", camera=camera,
                               operation=operation) from exc
        if isinstance(exc, aiohttp.ClientConnectorError):
            raise CameraUnreachable(f"cannot connect: {exc.os_error or exc}", camera=camera,
                                    operation=operation) from exc
        if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
            raise ConnectionLost(f"connection lost: {exc}", camera=camera,
                                 operation=operation) from exc
        if isinstance(exc, zeep_exc.Fault):
            raise classify_fault(exc, camera, operation) from exc
        if isinstance(exc, zeep_exc.TransportError):
            raise classify_http(exc, camera, operation) from exc
        if isinstance(exc, (aiohttp.ClientError, zeep_exc.Error, etree.LxmlError, ValueError)):
            raise ProtocolError(f"unreadable answer: {_short(exc)}", camera=camera,
                                operation=operation) from exc
        return False


def _short(exc: BaseException, limit: int = 200) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_kind(error: CameraError) -> ErrorKind:
    """The report's name for an error kind."""
    if isinstance(error, CallTimedOut):
        return "timeout"
    if isinstance(error, CameraUnreachable):
        return "unreachable"
    if isinstance(error, AuthFailed):
        return "auth-failed"
    if isinstance(error, NotSupported):
        return "not-supported"
    return "protocol"


def error_info(error: CameraError) -> CameraErrorInfo:
    """The report entry for one camera error."""
    return CameraErrorInfo(kind=error_kind(error), operation=error.operation or "?",
                           message=str(error))
