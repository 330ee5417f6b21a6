"""The controller's HTTP API (aiohttp, JSON).

Routes and response models are exactly those of ``schemas.api`` (and
``controller/openapi.yaml``). Every error is JSON ``{"error": "..."}``:
400 names the bad query parameter or body, 401 a missing or invalid token,
403 a role that may not do it, 404 the unknown site, camera, finding or
policy, 409 acknowledging a resolved finding. Query parameters are checked
strictly: an unknown one is a 400, not ignored.

Every route but health needs a bearer token (``controller.auth``); the only
write, acknowledging a finding, needs the operator role. Site and fleet
summaries are those of the last reconcile (they change when findings do);
camera lists and findings are read from the store per request.
``/api/v1/events`` is the live stream of ``controller.events``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, get_args

from aiohttp import web
from pydantic import BaseModel, ValidationError

from controller.auth import PRINCIPAL, Tokens, token_auth
from controller.events import EventHub
from controller.reconciler import DeclaredSite, Reconciler
from controller.register.api import mount_register
from controller.store import FindingFilter, Store
from controller.store.lifecycle import EventRow, NotAcknowledgeable
from controller.views import (
    SiteCameras,
    finding_view,
    live_by_subject,
    site_cameras,
)
from schemas.api import (
    AcknowledgeRequest,
    CameraDetail,
    CameraState,
    CameraView,
    FindingEvent,
    FindingState,
    FindingView,
    FleetView,
    Page,
    PolicyDetail,
    PolicyVersionView,
    SeverityCounts,
    SiteView,
)
from schemas.errors import StoreError
from schemas.rules import CATALOG, SEVERITIES

API = "/api/v1"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]

RECONCILER = web.AppKey("reconciler", Reconciler)
STORE = web.AppKey("store", Store)
HUB = web.AppKey("hub", EventHub)


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(
        body=model.model_dump_json().encode(), status=status, content_type="application/json"
    )


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as ``{"error": ...}`` with the right status."""
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc.status, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, exc.reason)
    except StoreError as exc:
        return _error(503, f"the database is not available: {exc}")


def _query(request: web.Request, allowed: Iterable[str]) -> tuple[Mapping[str, str], int, int]:
    """The query's filters, offset and limit; ApiError(400) names a bad one."""
    names = set(allowed) | {"offset", "limit"}
    params: dict[str, str] = {}
    for name, value in request.query.items():
        if name not in names:
            raise ApiError(400, f"unknown query parameter {name!r} (allowed: {sorted(names)})")
        if name in params:
            raise ApiError(400, f"query parameter {name!r} is given twice")
        params[name] = value
    offset = _integer(params.pop("offset", "0"), "offset", 0, None)
    limit = _integer(params.pop("limit", str(DEFAULT_LIMIT)), "limit", 1, MAX_LIMIT)
    return params, offset, limit


def _integer(text: str, name: str, low: int, high: int | None) -> int:
    bound = f"{low}..{high}" if high is not None else f">= {low}"
    try:
        value = int(text)
    except ValueError:
        raise ApiError(
            400, f"query parameter {name!r} must be an integer {bound}, not {text!r}"
        ) from None
    if value < low or (high is not None and value > high):
        raise ApiError(400, f"query parameter {name!r} must be {bound}, not {value}")
    return value


def _choice(params: Mapping[str, str], name: str, choices: Iterable[str]) -> str | None:
    value = params.get(name)
    options = list(choices)
    if value is not None and value not in options:
        raise ApiError(400, f"query parameter {name!r} must be one of {options}, not {value!r}")
    return value


def _site(request: web.Request, site_id: str) -> DeclaredSite:
    declared = request.app[RECONCILER].sites.get(site_id)
    if declared is None:
        raise ApiError(404, f"unknown site {site_id!r}")
    return declared


async def _cameras(request: web.Request, declared: DeclaredSite) -> tuple[SiteCameras, Any]:
    reconciler = request.app[RECONCILER]
    records = await request.app[STORE].load_sites([declared.site.id])
    record = records[declared.site.id]
    live = live_by_subject(record.findings)
    cameras = site_cameras(
        declared.site,
        declared.index,
        record,
        live,
        reconciler.clock(),
        reconciler.config.stale_after_s,
    )
    return cameras, live


def _site_view(request: web.Request, declared: DeclaredSite) -> SiteView:
    view = request.app[RECONCILER].site_views.get(declared.site.id)
    if view is not None:
        return view
    return SiteView(  # not reconciled yet: what the policy alone says
        site_id=declared.site.id,
        name=declared.site.name,
        policy_id=declared.policy.policy_id,
        policy_version=declared.policy.version,
        organisation=declared.policy.organisation.name,
        storage_place=declared.site.storage_place,
        cameras_declared=len(declared.site.cameras),
        cameras_seen=0,
        cameras_compliant=0,
        findings_open=SeverityCounts(),
    )


async def health(request: web.Request) -> web.Response:
    _query(request, ())
    return web.json_response({"status": "ok"})


async def fleet(request: web.Request) -> web.Response:
    _query(request, ())
    reconciler = request.app[RECONCILER]
    views = [_site_view(request, declared) for declared in reconciler.sites.values()]
    return _json(
        FleetView(
            generated_at=reconciler.clock(),
            sites=len(views),
            cameras_declared=sum(v.cameras_declared for v in views),
            cameras_seen=sum(v.cameras_seen for v in views),
            cameras_compliant=sum(v.cameras_compliant for v in views),
            findings_open=SeverityCounts(
                critical=sum(v.findings_open.critical for v in views),
                warning=sum(v.findings_open.warning for v in views),
                info=sum(v.findings_open.info for v in views),
            ),
            agents_online=sum(1 for v in views if v.agent_online),
            agents_known=sum(1 for v in views if v.agent_id is not None),
        )
    )


async def sites(request: web.Request) -> web.Response:
    _, offset, limit = _query(request, ())
    declared = sorted(request.app[RECONCILER].sites.values(), key=lambda d: d.site.id)
    items = tuple(_site_view(request, d) for d in declared[offset : offset + limit])
    return _json(Page[SiteView](items=items, total=len(declared), offset=offset, limit=limit))


async def site(request: web.Request) -> web.Response:
    _query(request, ())
    return _json(_site_view(request, _site(request, request.match_info["site_id"])))


async def site_cameras_page(request: web.Request) -> web.Response:
    params, offset, limit = _query(request, ("state",))
    state = _choice(params, "state", get_args(CameraState))
    declared = _site(request, request.match_info["site_id"])
    cameras, _ = await _cameras(request, declared)
    views = [v for v in cameras.views if state is None or v.state == state]
    return _json(
        Page[CameraView](
            items=tuple(views[offset : offset + limit]),
            total=len(views),
            offset=offset,
            limit=limit,
        )
    )


async def camera(request: web.Request) -> web.Response:
    _query(request, ())
    declared = _site(request, request.match_info["site_id"])
    key = request.match_info["camera_key"]
    cameras, live = await _cameras(request, declared)
    view = next((v for v in cameras.views if v.key == key), None)
    if view is None:
        raise ApiError(404, f"unknown camera {key!r} at site {declared.site.id!r}")
    observation = cameras.observations.get(key)
    return _json(
        CameraDetail(
            camera=view,
            declared=cameras.declared.get(key),
            observed=observation.facts if observation is not None else None,
            findings=tuple(finding_view(row) for row in live.get(key, ())),
        )
    )


async def findings(request: web.Request) -> web.Response:
    params, offset, limit = _query(request, ("site", "camera", "rule", "severity", "state"))
    if "site" in params:
        _site(request, params["site"])
    where = FindingFilter(
        site=params.get("site"),
        camera=params.get("camera"),
        rule=_choice(params, "rule", CATALOG),
        severity=_choice(params, "severity", SEVERITIES),
        state=_choice(params, "state", get_args(FindingState)),
    )
    rows, total = await request.app[STORE].list_findings(where, offset, limit)
    return _json(
        Page[FindingView](
            items=tuple(finding_view(row) for row in rows), total=total, offset=offset, limit=limit
        )
    )


def _finding_id(request: web.Request) -> int:
    text = request.match_info["finding_id"]
    if not text.isdigit():
        raise ApiError(404, f"unknown finding {text!r}")
    return int(text)


async def finding(request: web.Request) -> web.Response:
    _query(request, ())
    finding_id = _finding_id(request)
    row = await request.app[STORE].get_finding(finding_id)
    if row is None:
        raise ApiError(404, f"unknown finding {finding_id}")
    return _json(finding_view(row))


def _event(row: EventRow) -> FindingEvent:
    return FindingEvent.model_validate(
        {
            "finding_id": row.finding_id,
            "kind": row.event,
            "at": row.at,
            "by": row.by,
            "note": row.note,
            "severity": row.severity,
        }
    )


async def finding_history(request: web.Request) -> web.Response:
    _query(request, ())
    finding_id = _finding_id(request)
    store = request.app[STORE]
    if await store.get_finding(finding_id) is None:
        raise ApiError(404, f"unknown finding {finding_id}")
    events = tuple(_event(row) for row in await store.history(finding_id))
    body = "[" + ",".join(e.model_dump_json() for e in events) + "]"
    return web.Response(text=body, content_type="application/json")


async def acknowledge(request: web.Request) -> web.Response:
    _query(request, ())
    principal = request[PRINCIPAL]
    if not principal.may_acknowledge:
        raise ApiError(403, f"role {principal.role!r} may not acknowledge findings")
    finding_id = _finding_id(request)
    try:
        ask = AcknowledgeRequest.model_validate_json(await request.read())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(400, f"bad acknowledge request: {where}: {first['msg']}") from None
    reconciler = request.app[RECONCILER]
    try:
        done = await request.app[STORE].acknowledge(
            finding_id, principal.name, ask.note, reconciler.clock()
        )
    except NotAcknowledgeable as exc:
        raise ApiError(409, str(exc)) from None
    if done is None:
        raise ApiError(404, f"unknown finding {finding_id}")
    row, event = done
    view = finding_view(row)
    hub = request.app.get(HUB)
    if hub is not None:
        hub.publish("finding", site_id=row.site_id, finding=view, event=_event(event))
    return _json(view)


async def _policy_views(request: web.Request) -> dict[str, PolicyVersionView]:
    reconciler = request.app[RECONCILER]
    store = request.app[STORE]
    loads = await store.policy_loads()
    agents = await store.agent_policies()
    views: dict[str, PolicyVersionView] = {}
    for declared in reconciler.sites.values():
        policy = declared.policy
        if policy.policy_id in views:
            continue
        sites = tuple(sorted(s.id for s in policy.sites))
        load = loads.get(policy.policy_id)
        views[policy.policy_id] = PolicyVersionView(
            policy_id=policy.policy_id,
            version=policy.version,
            organisation=policy.organisation.name,
            sites=sites,
            loaded_at=load.loaded_at if load is not None else reconciler.clock(),
            agents=tuple(a for a in agents if a.site_id in sites),
        )
    return views


async def policies(request: web.Request) -> web.Response:
    _, offset, limit = _query(request, ())
    views = [v for _, v in sorted((await _policy_views(request)).items())]
    return _json(
        Page[PolicyVersionView](
            items=tuple(views[offset : offset + limit]),
            total=len(views),
            offset=offset,
            limit=limit,
        )
    )


async def policy(request: web.Request) -> web.Response:
    _query(request, ())
    policy_id = request.match_info["policy_id"]
    view = (await _policy_views(request)).get(policy_id)
    if view is None:
        raise ApiError(404, f"unknown policy {policy_id!r}")
    body = next(
        d.policy for d in request.app[RECONCILER].sites.values() if d.policy.policy_id == policy_id
    )
    return _json(PolicyDetail(summary=view, policy=body))


async def events(request: web.Request) -> web.StreamResponse:
    _query(request, ("last_event_id",))
    hub = request.app.get(HUB)
    if hub is None:
        raise ApiError(503, "the event stream is not running")
    return await hub.stream(request)


def build_app(
    reconciler: Reconciler,
    store: Store,
    *,
    tokens: Tokens,
    hub: EventHub | None = None,
    middlewares: Iterable[Middleware] = (),
) -> web.Application:
    """The API as an aiohttp application. ``tokens``: who may call it (no
    token admitted: only health answers). ``middlewares`` run after the
    JSON error handler and the token check, before the routes."""
    app = web.Application(
        middlewares=[json_errors, token_auth(tokens), *middlewares]  # type: ignore[list-item]
    )
    app[RECONCILER] = reconciler
    app[STORE] = store
    if hub is not None:
        app[HUB] = hub
    app.router.add_get(f"{API}/health", health)
    app.router.add_get(f"{API}/fleet", fleet)
    app.router.add_get(f"{API}/sites", sites)
    app.router.add_get(f"{API}/sites/{{site_id}}", site)
    app.router.add_get(f"{API}/sites/{{site_id}}/cameras", site_cameras_page)
    app.router.add_get(f"{API}/cameras/{{site_id}}/{{camera_key}}", camera)
    app.router.add_get(f"{API}/findings", findings)
    app.router.add_get(f"{API}/findings/{{finding_id}}", finding)
    app.router.add_get(f"{API}/findings/{{finding_id}}/history", finding_history)
    app.router.add_post(f"{API}/findings/{{finding_id}}/acknowledge", acknowledge)
    app.router.add_get(f"{API}/policies", policies)
    app.router.add_get(f"{API}/policies/{{policy_id}}", policy)
    app.router.add_get(f"{API}/events", events)
    mount_register(app, reconciler, store)
    return app
