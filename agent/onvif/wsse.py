"""WS-Security UsernameToken with PasswordDigest, as ONVIF requires.

Built per call rather than with zeep's ``client.wsse``: the zeep clients are
shared by every camera, while credentials and clock offsets are per camera.

``Created`` is the camera's idea of now (our clock plus the offset learnt
from GetSystemDateAndTime), so a camera whose clock is off still accepts us;
the drift itself is reported separately as a fact.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
from datetime import UTC, datetime

from lxml import etree

WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordDigest"
)
BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
    "#Base64Binary"
)


def created_text(moment: datetime) -> str:
    """``Created`` in whole seconds, Zulu form (``2024-01-31T12:00:00Z``):
    what zeep and onvif-zeep send, and what picky firmwares accept.

    Raises ValueError for a naive datetime: guessing its zone would silently
    shift every digest by hours.
    """
    if moment.tzinfo is None:
        raise ValueError("WS-Security Created needs an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce + created + password)), the UsernameToken profile."""
    digest = hashlib.sha1(nonce + created.encode("utf-8") + password.encode("utf-8"))
    return base64.b64encode(digest.digest()).decode("ascii")


def security_header(
    username: str, password: str, created: datetime, nonce: bytes | None = None
) -> etree._Element:
    """A ``wsse:Security`` header element for one SOAP call."""
    nonce = os.urandom(16) if nonce is None else nonce
    created_str = created_text(created)
    security = etree.Element(f"{{{WSSE_NS}}}Security", nsmap={"wsse": WSSE_NS, "wsu": WSU_NS})
    token = etree.SubElement(security, f"{{{WSSE_NS}}}UsernameToken")
    etree.SubElement(token, f"{{{WSSE_NS}}}Username").text = username
    password_el = etree.SubElement(token, f"{{{WSSE_NS}}}Password", Type=PASSWORD_DIGEST)
    password_el.text = password_digest(nonce, created_str, password)
    nonce_el = etree.SubElement(token, f"{{{WSSE_NS}}}Nonce", EncodingType=BASE64_BINARY)
    nonce_el.text = base64.b64encode(nonce).decode("ascii")
    etree.SubElement(token, f"{{{WSU_NS}}}Created").text = created_str
    return security


class UsernameTokenText:
    """The same header as ``security_header``, as text, for one account.

    The lean path pastes the header into a request template as text, so
    building lxml elements only to serialise them again was a tenth of the
    agent's CPU per call (bench/README.md). The constant parts, the
    username escaped by lxml itself (so odd characters are escaped, or
    refused with ValueError, exactly as the element would be), are
    serialised once per account; each call adds the nonce, Created and
    digest. ``render`` gives what ``etree.tostring(security_header(...))``
    gives for the same nonce and moment.
    """

    __slots__ = ("_created", "_head", "_password")

    def __init__(self, username: str, password: str) -> None:
        self._password = password.encode("utf-8")
        self._created: tuple[int, str] = (0, "")
        """The last ``Created`` text and its whole second: a camera's calls
        mostly fall within the same second, and strftime is not free."""
        element = etree.Element(f"{{{WSSE_NS}}}Username", nsmap={"wsse": WSSE_NS})
        element.text = username
        escaped = etree.tostring(element, encoding="unicode")
        username_xml = escaped[escaped.index(">") + 1: escaped.rindex("<")]
        self._head = (
            f'<wsse:Security xmlns:wsse="{WSSE_NS}" xmlns:wsu="{WSU_NS}"><wsse:UsernameToken>'
            f"<wsse:Username>{username_xml}</wsse:Username>"
            f'<wsse:Password Type="{PASSWORD_DIGEST}">'
        )

    def render(self, created: datetime, nonce: bytes | None = None) -> str:
        """The ``wsse:Security`` element's text for one SOAP call."""
        nonce = os.urandom(16) if nonce is None else nonce
        if created.tzinfo is None:
            raise ValueError("WS-Security Created needs an aware datetime")
        second = math.floor(created.timestamp())
        if self._created[0] == second and self._created[1]:
            created_str = self._created[1]
        else:
            created_str = created_text(created)
            self._created = (second, created_str)
        digest = hashlib.sha1(nonce + created_str.encode("ascii") + self._password).digest()
        return (
            f"{self._head}{base64.b64encode(digest).decode('ascii')}</wsse:Password>"
            f'<wsse:Nonce EncodingType="{BASE64_BINARY}">'
            f"{base64.b64encode(nonce).decode('ascii')}</wsse:Nonce>"
            f"<wsu:Created>{created_str}</wsu:Created></wsse:UsernameToken></wsse:Security>"
        )
