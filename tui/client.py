"""The console's only way to the controller: its HTTP API, typed.

Every answer is parsed with the models of ``schemas.api`` (strict, closed), so
a controller that drifts from the contract is reported as a bad answer rather
than shown half-right. Whatever goes wrong on the way (refused, timed out, an
HTTP error, JSON that is not the model) is raised as one ``ControllerError``:
the console acts the same on all of them (show the last good data, say so,
retry).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from types import TracebackType
from typing import TypeVar
from urllib.parse import quote, urlsplit

import aiohttp
from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas.api import (
    AcknowledgeRequest,
    CameraDetail,
    CameraView,
    FindingEvent,
    FindingView,
    FleetView,
    Page,
    PolicyDetail,
    PolicyVersionView,
    SiteView,
)
from schemas.errors import CamwardenError, ConfigError
from schemas.register import ChecklistView, RegisterEntry, RegisterPage, RequestsView, VerifyResult

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

DEFAULT_PAGE = 200
"""Rows asked for in the first page of a list: small, so that it is on
screen quickly."""

LATER_PAGE = 500
"""Rows asked for in each page after the first: the fewer round trips the
better once the first page is shown (the controller serves up to 1,000; a
controller that serves fewer is followed, see ``pages_after``)."""

MAX_ROWS = 10_000
"""The most rows one list screen loads: beyond it a table stops being readable."""

PAGES_IN_FLIGHT = 4
"""Pages of one list asked for at once after the first: enough to keep the
controller busy while the console decodes, few enough to reuse a handful
of kept-alive connections instead of opening one per page."""

REGISTER_PAGE = 1000
"""Register entries asked for per page (the controller's largest page)."""


class ControllerError(CamwardenError):
    """The controller could not be reached, or answered something that is not
    the API contract.

    ``url`` is the controller's base URL, ``path`` the route asked for,
    ``status`` the HTTP status when the controller answered at all (None when
    unreachable). ``unreachable`` tells the two apart for the status line.
    """

    def __init__(self, message: str, *, url: str, path: str = "", status: int | None = None):
        self.url = url
        self.path = path
        self.status = status
        super().__init__(message)

    @property
    def unreachable(self) -> bool:
        return self.status is None

    @property
    def refused(self) -> bool:
        """The controller turned the token away (401) or its role (403)."""
        return self.status in (401, 403)


def check_base_url(url: str) -> str:
    """``url`` without a trailing slash; ConfigError naming the problem when it
    is not an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--api {url!r}: expected an http:// or https:// URL with a host, "
            "e.g. http://127.0.0.1:8080"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"--api {url!r}: the API URL takes no query or fragment")
    return url.rstrip("/")


class ApiClient:
    """Typed access to the routes of ``schemas.api``; one aiohttp session.

    Use as ``async with ApiClient(url) as api:`` or call ``close()``. The
    session is opened on first use, inside the running loop, by
    ``session_factory`` (default: a plain ``aiohttp.ClientSession``): the
    transport seam, e.g. a connector with its own resolver. ``timeout`` is
    seconds for a whole request.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 5.0,
        session_factory: Callable[[], aiohttp.ClientSession] | None = None,
    ) -> None:
        """``token`` is sent as ``Authorization: Bearer`` on every request
        (None: no header, for a controller without authentication)."""
        if token is not None and (not token or any(c.isspace() for c in token)):
            raise ConfigError("the API token must be one word without spaces")
        if timeout <= 0:
            raise ConfigError(f"API timeout must be positive seconds, got {timeout!r}")
        self.base_url = check_base_url(base_url)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session_factory = session_factory or aiohttp.ClientSession
        self._session: aiohttp.ClientSession | None = None
        self.headers: dict[str, str] = {"Authorization": f"Bearer {token}"} if token else {}
        """Sent with every request (the event stream's too)."""

    def session(self) -> aiohttp.ClientSession:
        """The one session, opened on first use (inside the running loop)."""
        if self._session is None:
            self._session = self._session_factory()
        return self._session

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None

    # --- routes -----------------------------------------------------------

    async def health(self) -> bool:
        """True when the controller answers its health route with status ok."""
        body = await self._get("/api/v1/health", {})
        try:
            answer = json.loads(body)
        except ValueError:
            return False
        return isinstance(answer, dict) and answer.get("status") == "ok"

    async def fleet(self) -> FleetView:
        return _parse(FleetView, await self._get("/api/v1/fleet", {}), self.base_url, "fleet")

    async def sites(self, offset: int = 0, limit: int = DEFAULT_PAGE) -> Page[SiteView]:
        query = _paging(offset, limit)
        body = await self._get("/api/v1/sites", query)
        return _parse(Page[SiteView], body, self.base_url, "/api/v1/sites")

    async def site(self, site_id: str) -> SiteView:
        path = f"/api/v1/sites/{_segment(site_id)}"
        return _parse(SiteView, await self._get(path, {}), self.base_url, path)

    async def cameras(
        self,
        site_id: str,
        state: str | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE,
    ) -> Page[CameraView]:
        path = f"/api/v1/sites/{_segment(site_id)}/cameras"
        query = _paging(offset, limit) | _present(state=state)
        return _parse(Page[CameraView], await self._get(path, query), self.base_url, path)

    async def camera(self, site_id: str, camera_key: str) -> CameraDetail:
        path = f"/api/v1/cameras/{_segment(site_id)}/{_segment(camera_key)}"
        return _parse(CameraDetail, await self._get(path, {}), self.base_url, path)

    async def findings(
        self,
        site: str | None = None,
        camera: str | None = None,
        rule: str | None = None,
        severity: str | None = None,
        state: str | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE,
    ) -> Page[FindingView]:
        query = _paging(offset, limit) | _present(
            site=site, camera=camera, rule=rule, severity=severity, state=state
        )
        body = await self._get("/api/v1/findings", query)
        return _parse(Page[FindingView], body, self.base_url, "/api/v1/findings")

    async def finding(self, finding_id: int) -> FindingView:
        path = f"/api/v1/findings/{finding_id}"
        return _parse(FindingView, await self._get(path, {}), self.base_url, path)

    async def history(self, finding_id: int) -> tuple[FindingEvent, ...]:
        """The finding's steps, oldest first (as the controller keeps them)."""
        path = f"/api/v1/findings/{finding_id}/history"
        body = await self._get(path, {})
        try:
            return _HISTORY.validate_json(body, strict=True)
        except ValidationError as exc:
            raise _bad_answer(exc, self.base_url, path) from exc

    async def acknowledge(self, finding_id: int, note: str) -> FindingView:
        """Acknowledge with the operator's note; the finding as it now is.
        ControllerError with status 403 when this token's role may not."""
        path = f"/api/v1/findings/{finding_id}/acknowledge"
        try:
            payload = AcknowledgeRequest(note=note).model_dump_json()
        except ValidationError as exc:
            raise ValueError(f"a note is 1 to 2000 characters: {exc.errors()[0]['msg']}") from exc
        body = await self._request("POST", path, {}, payload.encode())
        return _parse(FindingView, body, self.base_url, path)

    async def policies(self, offset: int = 0, limit: int = DEFAULT_PAGE) -> Page[PolicyVersionView]:
        body = await self._get("/api/v1/policies", _paging(offset, limit))
        return _parse(Page[PolicyVersionView], body, self.base_url, "/api/v1/policies")

    async def policy(self, policy_id: str) -> PolicyDetail:
        path = f"/api/v1/policies/{_segment(policy_id)}"
        return _parse(PolicyDetail, await self._get(path, {}), self.base_url, path)

    async def register(
        self, policy_id: str, offset: int = 0, limit: int = REGISTER_PAGE
    ) -> RegisterPage:
        """A page of an organisation's register (oldest first) and the
        controller's verification of the whole chain."""
        body = await self._get("/api/v1/register", {"policy": policy_id} | _paging(offset, limit))
        return _parse(RegisterPage, body, self.base_url, "/api/v1/register")

    async def requests(self, policy_id: str) -> RequestsView:
        """An organisation's access requests and the findings their deadlines raise."""
        body = await self._get("/api/v1/requests", {"policy": policy_id})
        return _parse(RequestsView, body, self.base_url, "/api/v1/requests")

    async def checklist(self, policy_id: str) -> ChecklistView:
        """The current half-year's self-inspection checklist, filled now."""
        body = await self._get("/api/v1/checklist", {"policy": policy_id})
        return _parse(ChecklistView, body, self.base_url, "/api/v1/checklist")

    # --- whole lists ------------------------------------------------------

    async def whole_register(
        self, policy_id: str
    ) -> tuple[tuple[RegisterEntry, ...], int, VerifyResult]:
        """The newest ``MAX_ROWS`` entries (oldest of them first), how many the
        register holds, and the verification of the whole chain."""
        first = await self.register(policy_id)
        if first.total <= len(first.items):
            return first.items, first.total, first.verify
        entries: list[RegisterEntry] = []
        offset = max(0, first.total - MAX_ROWS)
        page = first
        while offset < page.total:
            page = await self.register(policy_id, offset=offset)
            if not page.items:
                break
            entries.extend(page.items)
            offset += len(page.items)
        return tuple(entries[-MAX_ROWS:]), page.total, page.verify


    async def all_findings(
        self, site: str | None = None, state: str | None = None
    ) -> tuple[FindingView, ...]:
        """Every finding of ``site`` in ``state``, page by page (at most ``MAX_ROWS``)."""
        return await _walk(lambda offset, limit: self.findings(
            site=site, state=state, offset=offset, limit=limit))

    async def all_policies(self) -> tuple[PolicyVersionView, ...]:
        """Every loaded policy version, page by page (at most ``MAX_ROWS``)."""
        return await _walk(lambda offset, limit: self.policies(offset=offset, limit=limit))

    async def all_sites(self) -> tuple[SiteView, ...]:
        """Every site, page by page (at most ``MAX_ROWS``)."""
        return await _walk(lambda offset, limit: self.sites(offset=offset, limit=limit))

    async def all_cameras(self, site_id: str) -> tuple[CameraView, ...]:
        """Every camera of a site, page by page (at most ``MAX_ROWS``)."""
        return await _walk(lambda offset, limit: self.cameras(
            site_id, offset=offset, limit=limit))

    # --- transport --------------------------------------------------------

    async def _get(self, path: str, query: Mapping[str, str]) -> bytes:
        return await self._request("GET", path, query, None)

    async def _request(
        self, method: str, path: str, query: Mapping[str, str], json_body: bytes | None
    ) -> bytes:
        url = self.base_url + path
        headers = dict(self.headers)
        if json_body is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self.session().request(
                method, url, params=dict(query), data=json_body, headers=headers,
                timeout=self._timeout,
            ) as reply:
                body = await reply.read()
                if reply.status != 200:
                    raise http_error(self.base_url, path, reply.status, body)
                return body
        except TimeoutError as exc:  # before OSError: TimeoutError is one
            raise ControllerError(
                f"controller unreachable at {self.base_url}: no answer within "
                f"{self._timeout.total:g} s",
                url=self.base_url,
                path=path,
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise ControllerError(
                f"controller unreachable at {self.base_url}: {exc or type(exc).__name__}",
                url=self.base_url,
                path=path,
            ) from exc

def http_error(base_url: str, path: str, status: int, body: bytes) -> ControllerError:
    """A non-200 answer in words an operator acts on: a refused token and a
    role that may not do it are said plainly, the rest with the controller's
    own words."""
    said = _excerpt(body)
    if status == 401:
        text = f"token refused by the controller at {base_url} (HTTP 401): check --token-file"
    elif status == 403:
        doing = "acknowledge" if path.endswith("/acknowledge") else f"read {path}"
        text = f"your role may not {doing} (HTTP 403 from the controller at {base_url})"
    else:
        text = f"controller at {base_url} answered HTTP {status} for {path}: {said}"
    return ControllerError(text, url=base_url, path=path, status=status)


_HISTORY = TypeAdapter(tuple[FindingEvent, ...])


def _parse(model: type[M], body: bytes, base_url: str, path: str) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise _bad_answer(exc, base_url, path) from exc


def _bad_answer(exc: ValidationError, base_url: str, path: str) -> ControllerError:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(document)"
    return ControllerError(
        f"controller at {base_url} sent a bad answer for {path}: {where}: {first['msg']} "
        f"({exc.error_count()} error(s))",
        url=base_url,
        path=path,
        status=200,
    )


Fetch = Callable[[int, int], Awaitable[Page[T]]]
"""``fetch(offset, limit)``: one page of a list."""


async def _walk(fetch: Fetch[T]) -> tuple[T, ...]:
    first = await fetch(0, DEFAULT_PAGE)
    items = list(first.items)
    async for page in pages_after(first, fetch):
        items.extend(page.items)
    return tuple(items[:MAX_ROWS])


async def pages_after(
    first: Page[T], fetch: Fetch[T], in_flight: int = PAGES_IN_FLIGHT, limit: int = LATER_PAGE
) -> AsyncIterator[Page[T]]:
    """The pages of a list after ``first`` (the one at offset 0), in order,
    up to ``MAX_ROWS`` rows: pages of ``limit`` rows, ``in_flight`` asked
    for at once, each yielded as soon as it and those before it have
    arrived. A controller that serves pages smaller than asked (its
    ``Page.limit``) is followed: the pages still in flight are dropped and
    the rest asked for at its size. Stops at a short page (the list shrank
    meanwhile); a failed page raises its ControllerError, and the pages
    still in flight are cancelled."""
    end = min(first.total, MAX_ROWS)
    offset = len(first.items)
    if offset < first.limit or offset >= end:
        return
    step = limit
    while offset < end:
        async with aclosing(_pages_from(offset, end, step, fetch, in_flight)) as served:
            async for page in served:
                yield page
                offset += len(page.items)
                if page.limit < step:  # the controller's largest page is smaller than asked
                    step = page.limit
                    break
                if len(page.items) < step:
                    return
            else:
                return


async def _pages_from(
    offset: int, end: int, step: int, fetch: Fetch[T], in_flight: int
) -> AsyncGenerator[Page[T], None]:
    """Pages of ``step`` rows from ``offset`` to ``end``, in order,
    ``in_flight`` asked for at once; those in flight are cancelled when
    the caller stops (or a page fails)."""
    offsets = iter(range(offset, end, step))
    pending: list[asyncio.Task[Page[T]]] = []

    def ask() -> None:
        at = next(offsets, None)
        if at is not None:
            pending.append(asyncio.ensure_future(fetch(at, step)))

    try:
        for _ in range(in_flight):
            ask()
        while pending:
            page = await pending.pop(0)
            ask()
            yield page
    finally:
        for task in pending:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: the error that matters is already raised
            task.cancel()


def _paging(offset: int, limit: int) -> dict[str, str]:
    if offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset}")
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    return {"offset": str(offset), "limit": str(limit)}


def _present(**values: str | None) -> dict[str, str]:
    return {name: value for name, value in values.items() if value is not None}


def _segment(value: str) -> str:
    """One path segment, escaped so that ids and host:port keys stay one segment."""
    if not value:
        raise ValueError("an empty id cannot name a site or camera")
    return quote(value, safe="")


def _excerpt(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"

