"""SOAP 1.2 plumbing of the simulator: namespaces, envelopes, faults, and
the WS-Security UsernameToken check.

Responses are built as strings from small templates (escaped with
``xml.sax.saxutils``): at 5,000 cameras, answering must cost microseconds,
and a string template is the cheapest correct way to write a fixed shape.
Requests are parsed with a hardened lxml parser: no DTD, no entity
expansion, no network.

Faults follow the ONVIF core specification: ``env:Sender`` with subcode
``ter:NotAuthorized`` (HTTP 400) for authentication, ``env:Receiver`` with
``ter:ActionNotSupported`` (HTTP 500) for an operation the device does not
offer, ``env:Sender`` with ``ter:InvalidArgVal`` for a bad argument.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

ENV = "http://www.w3.org/2003/05/soap-envelope"
TT = "http://www.onvif.org/ver10/schema"
TDS = "http://www.onvif.org/ver10/device/wsdl"
TRT = "http://www.onvif.org/ver10/media/wsdl"
TPTZ = "http://www.onvif.org/ver20/ptz/wsdl"
TRC = "http://www.onvif.org/ver10/recording/wsdl"
TSE = "http://www.onvif.org/ver10/search/wsdl"
TER = "http://www.onvif.org/ver10/error"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordDigest"
)
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordText"
)

CONTENT_TYPE = "application/soap+xml; charset=utf-8"
REPLAY_WINDOW_S = 300.0
"""How far a UsernameToken's Created may be from the camera's clock."""

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<env:Envelope xmlns:env="{ENV}" xmlns:tt="{TT}" xmlns:tds="{TDS}" '
    f'xmlns:trt="{TRT}" xmlns:tptz="{TPTZ}" xmlns:trc="{TRC}" xmlns:tse="{TSE}" '
    f'xmlns:ter="{TER}"><env:Body>'
)
_TAIL = "</env:Body></env:Envelope>"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


class SoapFault(Exception):
    """An ONVIF fault to send back: ``code`` is Sender or Receiver,
    ``subcodes`` the ``ter:`` names from outer to inner."""

    def __init__(self, code: str, subcodes: tuple[str, ...], reason: str, status: int) -> None:
        super().__init__(reason)
        self.code = code
        self.subcodes = subcodes
        self.reason = reason
        self.status = status

    def envelope(self) -> str:
        inner = ""
        for name in reversed(self.subcodes):
            inner = f"<env:Subcode><env:Value>ter:{name}</env:Value>{inner}</env:Subcode>"
        return envelope(
            f"<env:Fault><env:Code><env:Value>env:{self.code}</env:Value>{inner}</env:Code>"
            f'<env:Reason><env:Text xml:lang="en">{escape(self.reason)}</env:Text>'
            "</env:Reason></env:Fault>"
        )


def not_authorized(reason: str) -> SoapFault:
    return SoapFault("Sender", ("NotAuthorized",), f"Sender not authorized: {reason}", 400)


def action_not_supported(operation: str) -> SoapFault:
    return SoapFault(
        "Receiver", ("ActionNotSupported",), f"Optional action {operation} not implemented", 500
    )


def invalid_arg(subcode: str, reason: str) -> SoapFault:
    """``env:Sender/ter:InvalidArgVal/ter:<subcode>`` (e.g. NoProfile, NoToken)."""
    return SoapFault("Sender", ("InvalidArgVal", subcode), reason, 400)


def not_well_formed(reason: str) -> SoapFault:
    return SoapFault("Sender", ("WellFormed",), f"Request not well formed: {reason}", 400)


def envelope(body: str) -> str:
    """Wrap already-serialised body content in a SOAP 1.2 envelope that
    declares every prefix the responses use (env, tt, tds, trt, tptz, trc,
    tse, ter)."""
    return _HEAD + body + _TAIL


@dataclass(frozen=True, slots=True)
class Request:
    """A parsed SOAP request: the body's first child and the header."""

    namespace: str
    operation: str
    body: etree._Element
    header: etree._Element | None


def parse_request(data: bytes) -> Request:
    """Parse a SOAP 1.2 (or 1.1) request; raise ``SoapFault`` (WellFormed)
    for anything that is not an envelope with one operation in its body."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise not_well_formed(str(exc)) from None
    if root.getroottree().docinfo.doctype:
        raise not_well_formed("a DOCTYPE is not allowed")
    qname = etree.QName(root)
    if qname.localname != "Envelope":
        raise not_well_formed("the root element is not a SOAP Envelope")
    header = body = None
    for child in root:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "Header":
            header = child
        elif name == "Body":
            body = child
    if body is None:
        raise not_well_formed("no SOAP Body")
    operation = next((c for c in body if isinstance(c.tag, str)), None)
    if operation is None:
        raise not_well_formed("the SOAP Body is empty")
    op_name = etree.QName(operation)
    return Request(op_name.namespace or "", op_name.localname, operation, header)


def check_username_token(
    header: etree._Element | None, username: str, password: str, camera_now: datetime
) -> None:
    """Verify a WS-Security UsernameToken against the camera's credentials
    and clock; raise the ``NotAuthorized`` fault saying what is wrong.

    PasswordDigest is Base64(SHA1(nonce + created + password)), with
    ``created`` the exact text sent; PasswordText is accepted too, as most
    cameras do. ``Created`` must lie within ``REPLAY_WINDOW_S`` of the
    camera's clock (not the true clock), so a client must learn the
    camera's offset from GetSystemDateAndTime first.
    """
    token = None if header is None else header.find(f".//{{{WSSE}}}UsernameToken")
    if token is None:
        raise not_authorized("no WS-Security UsernameToken")
    given_user = token.findtext(f"{{{WSSE}}}Username") or ""
    password_el = token.find(f"{{{WSSE}}}Password")
    created_text = (token.findtext(f"{{{WSU}}}Created") or "").strip()
    nonce_text = (token.findtext(f"{{{WSSE}}}Nonce") or "").strip()
    if password_el is None:
        raise not_authorized("no Password in the UsernameToken")
    kind = password_el.get("Type", PASSWORD_TEXT)
    given = (password_el.text or "").strip()
    if kind == PASSWORD_DIGEST:
        try:
            nonce = base64.b64decode(nonce_text, validate=True)
        except ValueError:
            raise not_authorized("the Nonce is not base64") from None
        digest = hashlib.sha1(nonce + created_text.encode() + password.encode()).digest()
        expected = base64.b64encode(digest).decode()
    elif kind == PASSWORD_TEXT:
        expected = password
    else:
        raise not_authorized(f"unsupported password type {kind}")
    user_ok = hmac.compare_digest(given_user.encode(), username.encode())
    if not (user_ok and hmac.compare_digest(given.encode(), expected.encode())):
        raise not_authorized("wrong username or password")
    if created_text or kind == PASSWORD_DIGEST:
        try:
            created = datetime.fromisoformat(created_text)
        except ValueError:
            raise not_authorized(f"Created {created_text!r} is not a dateTime") from None
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        skew = abs((created - camera_now).total_seconds())
        if skew > REPLAY_WINDOW_S:
            raise not_authorized(
                f"Created is {skew:.0f} s away from the device clock "
                f"(window {REPLAY_WINDOW_S:.0f} s)"
            )


def text(value: object) -> str:
    """Escape a value for element content."""
    return escape(str(value))


def attr(value: object) -> str:
    """Quote and escape a value for an attribute (quotes included)."""
    return quoteattr(str(value))


def xs_datetime(moment: datetime) -> str:
    """xs:dateTime in UTC with a Z, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def xs_duration(seconds: int) -> str:
    """xs:duration as cameras write it: PT720H for whole hours, PT0S for 0."""
    if seconds and seconds % 3600 == 0:
        return f"PT{seconds // 3600}H"
    return f"PT{seconds}S"


def xs_bool(value: bool) -> str:
    return "true" if value else "false"


def child_text(element: etree._Element, local_name: str) -> str | None:
    """Text of the first descendant with this local name, any namespace."""
    for found in element.iter(f"{{*}}{local_name}"):
        return (found.text or "").strip()
    return None
