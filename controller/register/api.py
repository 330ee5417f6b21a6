"""The register's HTTP routes, added to the controller's API with one call:
``add_register_routes(app, register)``.

    GET  /api/v1/register?policy=&kind=&since=&until=&offset=&limit=  RegisterPage
    GET  /api/v1/register/verify?policy=                               VerifyResult
    GET  /api/v1/register/export?policy=&format=csv|html&lang=ko|en&since=&until=
    POST /api/v1/register            {"policy_id", "entry": EntryDraft}  RegisterEntry (operator)
    POST /api/v1/register/sync       record automatic deletion now       (operator)
    GET  /api/v1/requests?policy=&state=                               RequestsView
    POST /api/v1/requests            {"policy_id"?, "request": RequestDraft}  (operator)
    GET  /api/v1/requests/{id}                                         AccessRequest
    POST /api/v1/requests/{id}/answer  Answer                          (operator)
    POST /api/v1/requests/{id}/close   {"closed_at"?}                  (operator)
    GET  /api/v1/requests/export?policy=&format=&lang=
    GET  /api/v1/checklist?policy=                                     ChecklistView
    POST /api/v1/checklist/complete  {"policy_id"}                     (operator)
    GET  /api/v1/checklist/export?policy=&format=&lang=

Writes need the operator role (``controller.auth``); errors are the API's
JSON ``{"error": ...}`` (HTTP exceptions, turned into JSON by its middleware).
Dates in queries are KST calendar dates (YYYY-MM-DD), inclusive.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import date, datetime
from typing import Any, get_args

from aiohttp import web
from pydantic import BaseModel, ValidationError

from controller.auth import PRINCIPAL
from controller.reconciler import Reconciler
from controller.register import export
from controller.register.requests import TransitionError
from controller.register.service import Register, UnknownPolicy, period_bounds
from controller.register.store import NotFound
from controller.store import Store
from schemas.policy import Policy
from schemas.register import (
    AccessRequest,
    Answer,
    ChecklistView,
    EntryDraft,
    EntryKind,
    RegisterPage,
    RequestDraft,
    RequestState,
    RequestsView,
)

API = "/api/v1"
REGISTER = web.AppKey("register", Register)


def _json(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(
        body=model.model_dump_json().encode(), status=status, content_type="application/json"
    )


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(reason=message)


def _params(request: web.Request, allowed: Iterable[str]) -> dict[str, str]:
    names = set(allowed)
    params: dict[str, str] = {}
    for name, value in request.query.items():
        if name not in names:
            raise _bad(f"unknown query parameter {name!r} (allowed: {sorted(names)})")
        params[name] = value
    return params


def _choice(params: Mapping[str, str], name: str, choices: Iterable[str]) -> str | None:
    value = params.get(name)
    options = list(choices)
    if value is not None and value not in options:
        raise _bad(f"query parameter {name!r} must be one of {options}, not {value!r}")
    return value


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(f"query parameter {name!r} must be a date YYYY-MM-DD, not {value!r}") from None


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name, str(default))
    try:
        value = int(text)
    except ValueError:
        raise _bad(f"query parameter {name!r} must be an integer, not {text!r}") from None
    if not low <= value <= high:
        raise _bad(f"query parameter {name!r} must be {low}..{high}, not {value}")
    return value


def _operator(request: web.Request) -> str:
    principal = request.get(PRINCIPAL)
    if principal is None or principal.role != "operator":
        role = principal.role if principal is not None else "anonymous"
        raise web.HTTPForbidden(reason=f"role {role!r} may not write the register")
    return str(principal.name)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        document = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise _bad(f"the body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise _bad("the body must be a JSON object")
    return document


def _model(kind: type[BaseModel], value: object, what: str) -> Any:
    try:
        return kind.model_validate_json(json.dumps(value))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _bad(f"{what}: {where}: {first['msg']}") from None


def _register(request: web.Request) -> Register:
    return request.app[REGISTER]


def _policy_id(request: web.Request, params: Mapping[str, str]) -> str:
    register = _register(request)
    policy_id = params.get("policy")
    if policy_id is None:
        ids = sorted(register.policies)
        if len(ids) != 1:
            raise _bad(f"name the organisation with ?policy= (one of {ids})")
        return ids[0]
    register.policy(policy_id)
    return policy_id


@web.middleware
async def _errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except (UnknownPolicy, NotFound) as exc:
        raise web.HTTPNotFound(reason=str(exc).strip("'\"")) from None
    except TransitionError as exc:
        raise web.HTTPConflict(reason=str(exc)) from None


async def register_page(request: web.Request) -> web.Response:
    params = _params(request, ("policy", "kind", "since", "until", "offset", "limit"))
    policy_id = _policy_id(request, params)
    kind: EntryKind | None = _choice(params, "kind", get_args(EntryKind))  # type: ignore[assignment]
    since, until = period_bounds(_date(params, "since"), _date(params, "until"))
    offset = _int(params, "offset", 0, 0, 10**9)
    limit = _int(params, "limit", 100, 1, 1000)
    register = _register(request)
    items, total = await register.store.entries(
        policy_id, kind=kind, since=since, until=until, offset=offset, limit=limit
    )
    verified = await register.verify(policy_id)
    return _json(
        RegisterPage(items=tuple(items), total=total, offset=offset, limit=limit, verify=verified)
    )


async def register_verify(request: web.Request) -> web.Response:
    params = _params(request, ("policy",))
    return _json(await _register(request).verify(_policy_id(request, params)))


async def register_append(request: web.Request) -> web.Response:
    _operator(request)
    document = await _body(request)
    register = _register(request)
    policy_id = document.get("policy_id")
    if not isinstance(policy_id, str):
        raise _bad("policy_id: a policy id is required")
    register.policy(policy_id)
    draft: EntryDraft = _model(EntryDraft, document.get("entry"), "entry")
    if draft.automatic:
        raise _bad("entry.automatic: only the controller writes automatic entries")
    stored = await register.store.append(policy_id, [draft], register.clock())
    return _json(stored[0], status=201)


async def register_sync(request: web.Request) -> web.Response:
    _operator(request)
    count = await _register(request).sync()
    return web.json_response({"written": count})


def _export_params(request: web.Request) -> tuple[str, str, str, date | None, date | None]:
    params = _params(request, ("policy", "format", "lang", "since", "until"))
    fmt = _choice(params, "format", ("csv", "html")) or "csv"
    lang = _choice(params, "lang", ("ko", "en")) or "ko"
    return _policy_id(request, params), fmt, lang, _date(params, "since"), _date(params, "until")


def _file(text: str, fmt: str, name: str) -> web.Response:
    return web.Response(
        text=text,
        content_type="text/csv" if fmt == "csv" else "text/html",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


async def register_export(request: web.Request) -> web.Response:
    policy_id, fmt, lang, since, until = _export_params(request)
    register = _register(request)
    text = await render_register(register, policy_id, fmt, lang, since, until)
    return _file(text, fmt, f"register-{policy_id}")


async def render_register(
    register: Register,
    policy_id: str,
    fmt: str,
    lang: str,
    since: date | None,
    until: date | None,
) -> str:
    """The register export (also the CLI's)."""
    start, end = period_bounds(since, until)
    items, _ = await register.store.entries(policy_id, since=start, until=end)
    anchor = await register.anchor(policy_id)
    if fmt == "csv":
        return export.register_csv(items, anchor)
    policy = register.policy(policy_id)
    period = (
        since or (items[0].entry.occurred_at.date() if items else anchor.exported_at.date()),
        until or anchor.exported_at.date(),
    )
    return export.register_html(
        items, policy.organisation.name, period, anchor, await register.verify(policy_id), lang
    )


async def requests_page(request: web.Request) -> web.Response:
    params = _params(request, ("policy", "state"))
    policy_id = _policy_id(request, params)
    state: RequestState | None = _choice(params, "state", get_args(RequestState))  # type: ignore[assignment]
    register = _register(request)
    items = await register.store.requests(policy_id=policy_id, state=state)
    found = [f for f in await register.findings(policy_id) if f.rule.startswith("request.")]
    return _json(RequestsView(items=tuple(items), findings=tuple(found)))


async def request_create(request: web.Request) -> web.Response:
    _operator(request)
    document = await _body(request)
    register = _register(request)
    draft: RequestDraft = _model(RequestDraft, document.get("request"), "request")
    policy_id = document.get("policy_id")
    if isinstance(policy_id, str):
        policy = register.policy(policy_id)
    elif draft.site_id is not None:
        policy = register.policy_of_site(draft.site_id)
    else:
        raise _bad("give policy_id, or a request.site_id a policy declares")
    return _json(await register.store.create_request(policy, draft), status=201)


def _request_id(request: web.Request) -> int:
    text = request.match_info["request_id"]
    if not text.isdigit():
        raise web.HTTPNotFound(reason=f"no access request {text!r}")
    return int(text)


async def request_get(request: web.Request) -> web.Response:
    _params(request, ())
    return _json(await _register(request).store.request(_request_id(request)))


async def request_answer(request: web.Request) -> web.Response:
    _operator(request)
    given: Answer = _model(Answer, await _body(request), "answer")
    register = _register(request)
    item: AccessRequest = await register.store.answer_request(
        _request_id(request), given, register.clock()
    )
    return _json(item)


async def request_close(request: web.Request) -> web.Response:
    _operator(request)
    document = await _body(request)
    register = _register(request)
    at = register.clock()
    if "closed_at" in document:
        try:
            at = datetime.fromisoformat(str(document["closed_at"]))
        except ValueError:
            raise _bad("closed_at: an ISO 8601 time with its offset") from None
        if at.tzinfo is None:
            raise _bad("closed_at: give the time zone offset")
    return _json(await register.store.close_request(_request_id(request), at))


async def requests_export(request: web.Request) -> web.Response:
    policy_id, fmt, lang, since, until = _export_params(request)
    register = _register(request)
    return _file(
        await render_requests(register, policy_id, fmt, lang, since, until),
        fmt,
        f"requests-{policy_id}",
    )


async def render_requests(
    register: Register,
    policy_id: str,
    fmt: str,
    lang: str,
    since: date | None,
    until: date | None,
) -> str:
    start, end = period_bounds(since, until)
    items = [
        r
        for r in await register.store.requests(policy_id=policy_id)
        if (start is None or r.request.received_at >= start)
        and (end is None or r.request.received_at < end)
    ]
    anchor = await register.anchor(policy_id)
    if fmt == "csv":
        return export.requests_csv(items, anchor)
    policy = register.policy(policy_id)
    period = (since or anchor.exported_at.date(), until or anchor.exported_at.date())
    return export.requests_html(items, policy.organisation.name, period, anchor, lang)


async def checklist_view(request: web.Request) -> web.Response:
    params = _params(request, ("policy",))
    policy_id = _policy_id(request, params)
    register = _register(request)
    last = await register.store.last_checklist(policy_id)
    found = [f for f in await register.findings(policy_id) if f.rule == "checklist.overdue"]
    return _json(
        ChecklistView(
            checklist=await register.checklist(policy_id),
            last_completed=last[0] if last else None,
            findings=tuple(found),
        )
    )


async def checklist_complete(request: web.Request) -> web.Response:
    _operator(request)
    document = await _body(request)
    register = _register(request)
    policy_id = document.get("policy_id")
    if not isinstance(policy_id, str):
        raise _bad("policy_id: a policy id is required")
    checklist = await register.checklist(policy_id)
    await register.store.save_checklist(checklist, register.clock())
    return _json(checklist, status=201)


async def checklist_export(request: web.Request) -> web.Response:
    policy_id, fmt, lang, _, _ = _export_params(request)
    register = _register(request)
    checklist = await register.checklist(policy_id)
    anchor = await register.anchor(policy_id)
    text = (
        export.checklist_csv(checklist, anchor)
        if fmt == "csv"
        else export.checklist_html(checklist, anchor, lang)
    )
    return _file(text, fmt, f"checklist-{policy_id}")


def add_register_routes(
    app: web.Application, register: Register, *, sync_interval_s: float | None = 300.0
) -> None:
    """Mount the register's routes on the API ``app`` (behind its auth and
    JSON error middlewares) and, unless ``sync_interval_s`` is None, record
    automatic deletion every that many seconds while the app runs."""
    app[REGISTER] = register
    routes = (
        ("GET", "/register", register_page),
        ("GET", "/register/verify", register_verify),
        ("GET", "/register/export", register_export),
        ("POST", "/register", register_append),
        ("POST", "/register/sync", register_sync),
        ("GET", "/requests", requests_page),
        ("POST", "/requests", request_create),
        ("GET", "/requests/export", requests_export),
        ("GET", "/requests/{request_id}", request_get),
        ("POST", "/requests/{request_id}/answer", request_answer),
        ("POST", "/requests/{request_id}/close", request_close),
        ("GET", "/checklist", checklist_view),
        ("POST", "/checklist/complete", checklist_complete),
        ("GET", "/checklist/export", checklist_export),
    )
    for method, path, handler in routes:
        app.router.add_route(method, f"{API}{path}", _wrapped(handler))
    if sync_interval_s is not None:
        interval = sync_interval_s

        async def periodic_sync(_app: web.Application) -> AsyncIterator[None]:
            stop = asyncio.Event()
            task = asyncio.create_task(register.run_sync(interval, stop))
            yield
            stop.set()
            await task

        app.cleanup_ctx.append(periodic_sync)


def _wrapped(handler: Any) -> Any:
    async def run(request: web.Request) -> web.StreamResponse:
        return await _errors(request, handler)

    return run


def mount_register(app: web.Application, reconciler: Reconciler, store: Store) -> None:
    """``add_register_routes`` for the controller's API: the policies in force
    are the reconciler's (followed when they are reloaded), its clock is ours."""

    def policies() -> dict[str, Policy]:
        return {d.policy.policy_id: d.policy for d in reconciler.sites.values()}

    add_register_routes(app, Register(store, policies, lambda: reconciler.clock()))
