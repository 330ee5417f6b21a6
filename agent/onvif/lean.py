"""The lean path: the audit's hot SOAP calls without zeep's (de)serialiser.

zeep builds every request by walking its XSD objects and parses every answer
into them again; for the 17 small reads of an audit that generic work was
over half of the agent's CPU (bench/README.md). Here, per operation:

- **request**: zeep itself serialises the envelope once, with placeholders
  for the string parameters and for the header (``Template``); each call
  only pastes in the escaped parameters and the WS-Security header text.
  The bytes on the wire are zeep's, byte for byte, apart from the nonce and
  digest.
- **answer**: the transport has already parsed the body strictly (lxml);
  ``lean_shapes`` reads the elements ``convert`` uses from that tree.

Everything else stays zeep's, on the *same* answer, with no second request.
A non-200 status or a SOAP fault goes to zeep's own SOAP 1.2 fault reader
(``raise_fault``: the same parse and the same ``Fault``, so faults are
classified exactly as before), which needs no WSDL; an envelope that is not
SOAP 1.2, a response element other than the expected one, or anything
``lean_shapes`` does not recognise goes to zeep's whole reply processing.
Operations without a shape (GetCapabilities) go through zeep entirely.

The templates of the audit's own calls are stored (``lean_requests``), so
an agent whose cameras answer as expected never parses a WSDL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree
from multidict import CIMultiDictProxy
from zeep.exceptions import XMLSyntaxError
from zeep.loader import parse_xml
from zeep.utils import get_media_type
from zeep.wsdl.bindings.soap import Soap12Binding
from zeep.wsdl.utils import etree_to_string

from agent.onvif.lean_shapes import ANSWERS, Unrecognised, read_answer
from agent.onvif.transport import HttpReply, request_headers
from agent.onvif.wsdl_cache import zeep_settings

__all__ = ["ANSWERS", "Template", "Unrecognised", "build_template", "covers", "raise_fault",
           "read_reply", "template_key"]

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
_ENVELOPE = f"{{{SOAP12_ENV}}}Envelope"
_BODY = f"{{{SOAP12_ENV}}}Body"
_FAULT = f"{{{SOAP12_ENV}}}Fault"
_SLOT = "{urn:camwarden:lean}HeaderSlot"
_PARAM = "@@camwarden-param-{}@@"
_SLOT_TEXT = re.compile(rb"<[^<>]*HeaderSlot[^<>]*/>")


_RESPONSES = {operation: f"{{{answer.namespace}}}{operation}Response"
              for operation, answer in ANSWERS.items()}
"""The response element's tag of each operation the lean path reads."""


def template_key(service_key: str, operation: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """What a template is kept under: the service, the operation, and the
    parameters' names with the values baked into it (non-strings); string
    values are the template's placeholders."""
    if not params:
        return (service_key, operation, ())
    return (service_key, operation,
            tuple((name, None if isinstance(value, str) else repr(value))
                  for name, value in params.items()))


def covers(operation: str) -> bool:
    """Whether the lean path reads this operation's answers itself."""
    return operation in ANSWERS


@dataclass(frozen=True, slots=True)
class Template:
    """One operation's request as zeep serialises it, cut where the variable
    parts go: the envelope start, the WS-Security header (signed calls only),
    then ``body`` with the string parameters (in ``names`` order) between
    its pieces."""

    signed_head: bytes
    """Up to ``</soap-env:Header>`` exclusive, the header's content left out."""
    header_close: bytes
    unsigned_head: bytes
    """The envelope start without a Header, as zeep sends an unsigned call."""
    body: tuple[bytes, ...]
    names: tuple[str, ...]
    headers: dict[str, str]
    """HTTP headers zeep sends (SOAPAction, Content-Type with the action)."""
    http_headers: CIMultiDictProxy[str] = field(init=False, repr=False, compare=False)
    """``headers`` as the transport sends them, made once per template."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "http_headers", request_headers(self.headers))

    def render(self, header: str | None, params: dict[str, Any]) -> bytes:
        """The request with ``header`` (None: no Header element) and the
        string ``params`` escaped into place."""
        parts = ([self.signed_head, header.encode("utf-8"), self.header_close]
                 if header is not None else [self.unsigned_head])
        parts.append(self.body[0])
        for name, rest in zip(self.names, self.body[1:], strict=True):
            parts.append(escape(str(params[name])).encode("utf-8"))
            parts.append(rest)
        return b"".join(parts)


def build_template(client: Any, binding: Any, operation: str, params: dict[str, Any]
                   ) -> Template:
    """Ask zeep to serialise ``operation`` once, with placeholders for the
    string values of ``params`` and for the header; other values (booleans)
    are baked in as zeep writes them. ValueError if zeep's output is not
    cut as expected (a zeep upgrade would say so here, not on the wire)."""
    names = tuple(name for name, value in params.items() if isinstance(value, str))
    values = {name: (_PARAM.format(name) if name in names else value)
              for name, value in params.items()}
    slot = etree.Element(_SLOT)
    envelope, headers = binding._create(operation, (), {**values, "_soapheaders": [slot]},
                                        client=client, options={"address": "http://lean/"})
    text: bytes = etree_to_string(envelope)  # type: ignore[no-untyped-call]
    found = _SLOT_TEXT.search(text)
    if found is None:
        raise ValueError(f"{operation}: no header slot in zeep's request")
    signed_head, tail = text[: found.start()], text[found.end():]
    if not signed_head.endswith(b"Header>") or not tail.startswith(b"</"):
        raise ValueError(f"{operation}: the header slot is not alone in its Header")
    close = tail.index(b">") + 1
    pieces = [tail[close:]]
    for name in names:
        marker = _PARAM.format(name).encode("ascii")
        before, sep, after = pieces.pop().partition(marker)
        if not sep or marker in after:
            raise ValueError(f"{operation}: parameter {name} not found once in zeep's request")
        pieces.extend((before, after))
    return Template(signed_head=signed_head, header_close=tail[:close],
                    unsigned_head=signed_head[: signed_head.rindex(b"<")],
                    body=tuple(pieces), names=names, headers=dict(headers))


def read_reply(reply: HttpReply, operation: str) -> Any:
    """The value of a 200 answer, as zeep would give it; ``Unrecognised``
    when zeep must read it (a fault, another status, an unknown shape)."""
    document = reply.document
    if reply.status_code != 200 or document is None:
        raise Unrecognised(f"HTTP {reply.status_code}")
    if document.tag != _ENVELOPE:
        raise Unrecognised(f"root {document.tag!r} is not a SOAP 1.2 envelope")
    body = document.find(_BODY)
    if body is None:
        raise Unrecognised("no SOAP Body")
    for response in body:
        if isinstance(response.tag, str):
            break
    else:
        raise Unrecognised("an empty Body")
    if response.tag == _FAULT:
        raise Unrecognised("a fault")
    if response.tag != _RESPONSES[operation]:
        raise Unrecognised(f"answer element {response.tag!r}")
    return read_answer(response, ANSWERS[operation])


class _FaultReader:
    """zeep's SOAP 1.2 ``process_error``, which reads only the envelope
    (``self.nsmap``): no binding, so no WSDL, is needed to run it. Every
    service we speak has a SOAP 1.2 binding (tests/onvif/test_lean_requests.py)."""

    nsmap = Soap12Binding.nsmap


_FAULTS = _FaultReader()
_FAULT_PATH = "soap-env:Body/soap-env:Fault"


def raise_fault(reply: HttpReply, transport: Any) -> None:
    """Raise what zeep's ``process_reply`` raises for an error answer (a
    ``zeep.exceptions.Fault``, or its parse errors), by zeep's own code on
    the content parsed as zeep parses it; return (raise nothing) when the
    answer is a 200 without a Fault, or one that zeep's whole reply
    processing must judge (no content, multipart)."""
    if not reply.content:
        return
    media_type = get_media_type(reply.headers.get("Content-Type", "text/xml"))  # type: ignore[no-untyped-call]
    if media_type == "multipart/related":
        return
    try:
        doc = parse_xml(reply.content, transport,  # type: ignore[arg-type]
                        settings=zeep_settings())
    except XMLSyntaxError:
        return  # zeep's process_reply words this one itself
    fault = doc.find(_FAULT_PATH, namespaces=_FAULTS.nsmap)
    if reply.status_code != 200 or fault is not None:
        Soap12Binding.process_error(_FAULTS, doc, None)  # type: ignore[arg-type,no-untyped-call]
