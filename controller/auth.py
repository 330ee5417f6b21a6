"""Bearer-token authentication of the HTTP API, with two roles.

Tokens are never stored: the configuration (``api.tokens``) or a token file
(``api.token_files``) holds the SHA-256 of each, with a name and a role.
``camwarden token new --role operator --name NAME`` prints a fresh token and
the line that admits it. A request presents ``Authorization: Bearer TOKEN``;
its hash is looked up (a lookup by hash leaks nothing useful about the
token through timing). Every route but ``/api/v1/health`` needs a token:
401 without a valid one; 403 when the role may not do it (``viewer`` reads,
``operator`` also acknowledges). Errors are ``{"error": ...}``.

Token file format, one token a line (``#`` starts a comment)::

    NAME ROLE SHA256-HEX
"""

from __future__ import annotations

import argparse
import hashlib
import re
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from aiohttp import web
from pydantic import StringConstraints, ValidationError

from schemas.base import Model
from schemas.errors import ConfigError

Role = Literal["viewer", "operator"]
ROLES: tuple[Role, ...] = ("viewer", "operator")
PUBLIC_PATHS = frozenset({"/api/v1/health"})
TokenName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,100}$")]


class TokenEntry(Model):
    """One admitted token: who it is for, what it may do, its SHA-256."""

    name: TokenName
    role: Role
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who made a request (``request[PRINCIPAL]`` once authenticated)."""

    name: str
    role: Role

    @property
    def may_acknowledge(self) -> bool:
        return self.role == "operator"


PRINCIPAL = web.RequestKey("principal", Principal)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe."""
    return "cw_" + secrets.token_urlsafe(32)


def load_token_file(path: Path) -> tuple[TokenEntry, ...]:
    """The tokens of one file; ConfigError names the file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the token file: {exc}") from None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 3:
            raise ConfigError(f"{path}:{number}: expected 'NAME ROLE SHA256', got {line.strip()!r}")
        try:
            entries.append(TokenEntry(name=words[0], role=words[1], sha256=words[2]))  # type: ignore[arg-type]
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path}:{number}: {field}: {first['msg']}") from None
    return tuple(entries)


class Tokens:
    """The admitted tokens, by hash. Two entries with one hash are refused
    (ConfigError): one token must not carry two roles."""

    def __init__(self, entries: Iterable[TokenEntry]) -> None:
        self._by_hash: dict[str, Principal] = {}
        for entry in entries:
            if entry.sha256 in self._by_hash:
                raise ConfigError(f"token of {entry.name!r} is admitted twice")
            self._by_hash[entry.sha256] = Principal(entry.name, entry.role)

    def __len__(self) -> int:
        return len(self._by_hash)

    def principal(self, authorization: str | None) -> Principal | None:
        """Who an ``Authorization`` header value stands for, or None."""
        if authorization is None:
            return None
        match = re.fullmatch(r"Bearer[ ]+(\S+)\s*", authorization, flags=re.IGNORECASE)
        if match is None:
            return None
        return self._by_hash.get(hash_token(match.group(1)))


def token_auth(tokens: Tokens) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """The middleware: 401 for a request without a valid token (health aside)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC_PATHS:
            return await handler(request)
        principal = tokens.principal(request.headers.get("Authorization"))
        if principal is None:
            given = "Authorization" in request.headers
            return web.json_response(
                {"error": "invalid token" if given else "missing bearer token"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="camwarden"'},
            )
        request[PRINCIPAL] = principal
        return await handler(request)

    return middleware


def run_new(args: argparse.Namespace) -> int:
    """``camwarden token new --role ROLE --name NAME``: print a new token and
    the lines that admit it on standard error (so ``> FILE`` keeps only the
token, the form ``camwarden tui --token-file`` reads)."""
    try:
        entry = TokenEntry(name=args.name, role=args.role, sha256="0" * 64)
    except ValidationError as exc:
        print(f"camwarden token new: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    token = new_token()
    entry = entry.model_copy(update={"sha256": hash_token(token)})
    print(token, flush=True)
    print(
        "camwarden token new: the token is on standard output (shown once, keep it secret);\n"
        "admit it with this line in a token file (api.token_files):\n"
        f"{entry.name} {entry.role} {entry.sha256}\n"
        "or this item in the controller configuration's api.tokens:\n"
        f"- {{name: {entry.name}, role: {entry.role}, sha256: {entry.sha256}}}",
        file=sys.stderr,
    )
    return 0
