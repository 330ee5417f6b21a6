"""The controller's HTTP API (aiohttp, JSON), read-only.

Routes and response models are exactly those of ``schemas.api`` (and
``controller/openapi.yaml``). Every error is JSON ``{"error": "..."}``:
400 names the bad query parameter, 404 the unknown site or camera. Query
parameters are checked strictly: an unknown one is a 400, not ignored.

Site and fleet summaries are those of the last reconcile (they change when
findings do); camera lists and findings are read from the store per request.
Authentication is not done yet: it slots in as one more middleware
(``build_app(..., middlewares=[token_auth])``) ahead of the routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, get_args

from aiohttp import web
from pydantic import BaseModel

from controller.reconciler import DeclaredSite, Reconciler
from controller.store import FindingFilter, Store
from controller.views import (
    SiteCameras,
    finding_view,
    live_by_subject,
    site_cameras,
)
from schemas.api import (
    CameraDetail,
    CameraState,
    CameraView,
    FindingState,
    FindingView,
    FleetView,
    Page,
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


def build_app(
    reconciler: Reconciler, store: Store, middlewares: Iterable[Middleware] = ()
) -> web.Application:
    """The API as an aiohttp application; ``middlewares`` run after the
    JSON error handler and before the routes (authentication goes here)."""
    app = web.Application(middlewares=[json_errors, *middlewares])  # type: ignore[list-item]
    app[RECONCILER] = reconciler
    app[STORE] = store
    app.router.add_get(f"{API}/health", health)
    app.router.add_get(f"{API}/fleet", fleet)
    app.router.add_get(f"{API}/sites", sites)
    app.router.add_get(f"{API}/sites/{{site_id}}", site)
    app.router.add_get(f"{API}/sites/{{site_id}}/cameras", site_cameras_page)
    app.router.add_get(f"{API}/cameras/{{site_id}}/{{camera_key}}", camera)
    app.router.add_get(f"{API}/findings", findings)
    return app
