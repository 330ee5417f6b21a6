"""HTTP Digest authentication (RFC 7616, RFC 2617), as ONVIF cameras do it.

Many cameras (and the ONVIF profiles since 2.x) accept HTTP Digest on the
transport instead of, or as well as, a WS-Security UsernameToken; some
accept only Digest and answer a signed SOAP request with ``401`` and a
``WWW-Authenticate: Digest ...`` challenge. ``DigestAuth`` keeps the state
of one camera account: the last challenge (so later requests are
authorised up front, saving a round trip each) and whether Digest has
worked, which the audit reports as ``auth_scheme = "http-digest"``.

The challenge parsing and response computation are pure; ``DigestAuth`` is
the only mutable thing and is used from one event loop.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

_HASHES: dict[str, Callable[[bytes], Any]] = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]+)\s*,?')


@dataclass(frozen=True, slots=True)
class Challenge:
    """The parameters of one ``WWW-Authenticate: Digest`` challenge."""

    realm: str
    nonce: str
    algorithm: str = "MD5"
    """Upper case: MD5, MD5-SESS, SHA-256, SHA-256-SESS."""
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False

    @property
    def supported(self) -> bool:
        """Whether we can answer it (a hash we know; qop absent or "auth")."""
        base = self.algorithm.removesuffix("-SESS")
        return _HASHES.get(base) is not None and (not self.qop or "auth" in self.qop)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _digest_params(header: str) -> dict[str, str] | None:
    """The name=value pairs following the ``Digest`` scheme token in one
    header value (which may list other schemes before or after it)."""
    match = re.search(r"(?:^|[\s,])Digest\s+", header, flags=re.IGNORECASE)
    if match is None:
        return None
    rest = header[match.end():]
    params: dict[str, str] = {}
    position = 0
    while position < len(rest):
        pair = _PARAM.match(rest, position)
        if pair is None:
            break  # the next scheme (``Basic realm=...``) or garbage: stop here
        params[pair.group(1).lower()] = _unquote(pair.group(2))
        position = pair.end()
    return params


def parse_challenge(headers: Iterable[str]) -> Challenge | None:
    """The first Digest challenge among ``WWW-Authenticate`` header values
    that names a realm and a nonce; None if there is none (Basic only, an
    HTML page without a header, a broken header)."""
    for header in headers:
        params = _digest_params(header)
        if not params or "realm" not in params or "nonce" not in params:
            continue
        qop = tuple(q.strip().lower() for q in params.get("qop", "").split(",") if q.strip())
        return Challenge(realm=params["realm"], nonce=params["nonce"],
                         algorithm=params.get("algorithm", "MD5").upper(), qop=qop,
                         opaque=params.get("opaque"),
                         stale=params.get("stale", "").lower() == "true")
    return None


def _hash(algorithm: str, text: str) -> str:
    constructor = _HASHES[algorithm.removesuffix("-SESS")]
    return str(constructor(text.encode("utf-8")).hexdigest())


def authorization(challenge: Challenge, username: str, password: str, method: str, uri: str,
                  nc: int, cnonce: str) -> str:
    """The ``Authorization`` header value answering ``challenge`` for one
    request (``uri`` is the request target, e.g. ``/onvif/device_service``;
    ``nc`` counts requests made with this nonce, from 1).

    Raises ValueError for a challenge we cannot answer (see ``supported``).
    """
    if not challenge.supported:
        raise ValueError(f"unsupported digest challenge: algorithm {challenge.algorithm}, "
                         f"qop {','.join(challenge.qop) or '-'}")
    algorithm = challenge.algorithm
    ha1 = _hash(algorithm, f"{username}:{challenge.realm}:{password}")
    if algorithm.endswith("-SESS"):
        ha1 = _hash(algorithm, f"{ha1}:{challenge.nonce}:{cnonce}")
    ha2 = _hash(algorithm, f"{method}:{uri}")
    nc_text = f"{nc:08x}"
    if challenge.qop:
        response = _hash(algorithm, f"{ha1}:{challenge.nonce}:{nc_text}:{cnonce}:auth:{ha2}")
    else:
        response = _hash(algorithm, f"{ha1}:{challenge.nonce}:{ha2}")
    parts = [f'username="{_quote(username)}"', f'realm="{_quote(challenge.realm)}"',
             f'nonce="{_quote(challenge.nonce)}"', f'uri="{_quote(uri)}"',
             f"algorithm={challenge.algorithm}", f'response="{response}"']
    if challenge.qop:
        parts += ["qop=auth", f"nc={nc_text}", f'cnonce="{cnonce}"']
    if challenge.opaque is not None:
        parts.append(f'opaque="{_quote(challenge.opaque)}"')
    return "Digest " + ", ".join(parts)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@dataclass(slots=True)
class DigestAuth:
    """HTTP Digest state of one camera account, kept across collects by
    ``OnvifClient`` so a camera known to want Digest gets it up front."""

    username: str
    password: str = field(repr=False)
    challenge: Challenge | None = None
    nc: int = 0
    worked: bool = False
    """A request authorised with Digest was answered with something else than 401."""

    def accept(self, challenge: Challenge) -> None:
        """Take a fresh challenge (first one, or a new nonce after a 401)."""
        self.challenge = challenge
        self.nc = 0

    def header(self, method: str, uri: str) -> str | None:
        """The Authorization value for the next request, or None if there is
        no challenge yet (or one we cannot answer)."""
        if self.challenge is None or not self.challenge.supported:
            return None
        self.nc += 1
        return authorization(self.challenge, self.username, self.password, method, uri,
                             self.nc, os.urandom(8).hex())
