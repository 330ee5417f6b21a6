"""Findings lifecycle through the API on a real loopback server: tokens and
roles, acknowledge, history, escalation, reopen, policies, and the live
event stream (resume, reset, slow clients)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from ctl_factory import OPERATOR_TOKEN, VIEWER_TOKEN, Agent, bearer, now, token_entries

from controller.api import build_app
from controller.auth import Tokens
from controller.config import ReconcileConfig
from controller.events import EventHub
from controller.intake import RawMessage, sort_messages
from controller.reconciler import Reconciler, declared_sites
from controller.store import Store
from schemas.api import (
    ChangeEvent,
    FindingEvent,
    FindingView,
    Page,
    PolicyDetail,
    PolicyVersionView,
)
from schemas.findings import make_finding
from schemas.policy_file import load_policy
from schemas.topics import encode

TIMEOUT = 10.0


@dataclass
class Env:
    http: aiohttp.ClientSession
    base: str
    store: Store
    reconciler: Reconciler
    hub: EventHub

    async def call(
        self, method: str, path: str, token: str | None = VIEWER_TOKEN, body: Any = None
    ) -> tuple[int, Any]:
        headers = bearer(token) if token is not None else {}
        async with self.http.request(
            method, f"{self.base}/api/v1{path}", headers=headers, json=body
        ) as response:
            return response.status, await response.json()

    async def finding_id(self, rule: str) -> int:
        _, page = await self.call("GET", f"/findings?rule={rule}")
        return int(page["items"][0]["id"])


@pytest.fixture
async def env(db_url: str, small_policy_path: Path) -> AsyncIterator[Env]:
    store = await Store.open(db_url)
    reconciler = Reconciler(
        store, declared_sites([load_policy(small_policy_path)]), ReconcileConfig()
    )
    await store.save_policies([d.policy for d in reconciler.sites.values()][:1], now())
    agent = Agent("test-main")
    messages = [
        agent.birth(),
        agent.report("127.0.0.1:8001", "TEST-0001", audio=True),
        agent.report("127.0.0.1:8002", "TEST-0002"),
        agent.cycle(("127.0.0.1:8001", "127.0.0.1:8002")),
    ]
    raws = [RawMessage(*encode(m), 1, 1, now()) for m in messages]
    await store.write_batch(sort_messages(raws, 1 << 20), now())
    await reconciler.reconcile(list(reconciler.sites))
    hub = EventHub(now, lambda: reconciler.site_views.values(), buffer=20, client_queue=10)
    app = build_app(reconciler, store, tokens=Tokens(token_entries()), hub=hub)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield Env(http, f"http://127.0.0.1:{server.port}", store, reconciler, hub)
    await server.close()
    await store.close()


@pytest.mark.parametrize(
    ("token", "status", "error"),
    [
        pytest.param(None, 401, "missing bearer token", id="no-token"),
        pytest.param("cw_not-admitted", 401, "invalid token", id="unknown-token"),
        pytest.param(VIEWER_TOKEN, 200, None, id="viewer-reads"),
    ],
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_route_but_health_needs_a_token(
    env: Env, token: str | None, status: int, error: str | None
) -> None:
    assert (await env.call("GET", "/health", token=None))[0] == 200
    for path in ("/fleet", "/sites", "/findings", "/policies"):
        got, body = await env.call("GET", path, token=token)
        assert got == status, path
        if error is not None:
            assert body == {"error": error}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_viewer_may_not_acknowledge(env: Env) -> None:
    finding_id = await env.finding_id("audio.encoder-enabled")
    status, body = await env.call(
        "POST", f"/findings/{finding_id}/acknowledge", VIEWER_TOKEN, {"note": "on it"}
    )
    assert status == 403 and "viewer" in body["error"]


async def test_acknowledged_stays_while_the_evidence_persists_and_history_tells_all(
    env: Env,
) -> None:
    finding_id = await env.finding_id("audio.encoder-enabled")
    status, body = await env.call(
        "POST",
        f"/findings/{finding_id}/acknowledge",
        OPERATOR_TOKEN,
        {"note": "technician booked"},
    )
    assert status == 200
    view = FindingView.model_validate_json(json.dumps(body))
    assert (view.state, view.acknowledged_by, view.note) == (
        "acknowledged",
        "olga",
        "technician booked",
    )
    await env.reconciler.reconcile(["test-main"])  # the evidence is still there
    _, again = await env.call("GET", f"/findings/{finding_id}")
    assert again["state"] == "acknowledged"
    _, listed = await env.call("GET", "/findings?state=acknowledged")
    assert [f["id"] for f in listed["items"]] == [finding_id]
    _, history = await env.call("GET", f"/findings/{finding_id}/history")
    events = [FindingEvent.model_validate_json(json.dumps(e)) for e in history]
    assert [(e.kind, e.by) for e in events] == [("opened", None), ("acknowledged", "olga")]
    assert events[1].note == "technician booked" and events[0].severity == "critical"


async def test_resolved_then_reopened_clears_the_acknowledgement(env: Env) -> None:
    finding_id = await env.finding_id("audio.encoder-enabled")
    await env.call("POST", f"/findings/{finding_id}/acknowledge", OPERATOR_TOKEN, {"note": "x"})
    record = (await env.store.load_sites(["test-main"]))["test-main"]
    await env.store.apply_findings(record, (), now())
    status, body = await env.call(
        "POST", f"/findings/{finding_id}/acknowledge", OPERATOR_TOKEN, {"note": "late"}
    )
    assert status == 409 and "resolved" in body["error"]
    await env.reconciler.reconcile(["test-main"])  # the audio encoder is still reported
    _, view = await env.call("GET", f"/findings/{finding_id}")
    assert (view["state"], view["acknowledged_by"], view["note"]) == ("open", None, None)
    _, history = await env.call("GET", f"/findings/{finding_id}/history")
    assert [e["kind"] for e in history] == ["opened", "acknowledged", "resolved", "reopened"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_open_finding_escalates_once_when_left_unacknowledged(env: Env) -> None:
    env.store.lifecycle.escalate_after_s = 60.0
    finding_id = await env.finding_id("audio.encoder-enabled")
    record = (await env.store.load_sites(["test-main"]))["test-main"]
    verdict = tuple(
        make_finding(r.rule, r.summary, {}, site_id="test-main", camera_id=r.subject)
        for r in record.findings
    )
    later = now() + timedelta(minutes=5)
    changes = await env.store.apply_findings(record, verdict, later)
    assert {(c.event, c.finding_id) for c in changes} >= {("escalated", finding_id)}
    record = (await env.store.load_sites(["test-main"]))["test-main"]
    again = await env.store.apply_findings(record, verdict, later + timedelta(minutes=5))
    assert again == []
    _, history = await env.call("GET", f"/findings/{finding_id}/history")
    assert [e["kind"] for e in history] == ["opened", "escalated"]
    assert "unacknowledged" in history[1]["note"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/findings/999999", 404, id="unknown-finding"),
        pytest.param("/findings/abc/history", 404, id="not-a-number"),
        pytest.param("/policies/nope", 404, id="unknown-policy"),
    ],
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_unknown_things_are_404(env: Env, path: str, status: int) -> None:
    got, body = await env.call("GET", path)
    assert got == status and "error" in body


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_bad_acknowledgement_body_is_a_400(env: Env) -> None:
    finding_id = await env.finding_id("audio.encoder-enabled")
    status, body = await env.call(
        "POST", f"/findings/{finding_id}/acknowledge", OPERATOR_TOKEN, {"note": ""}
    )
    assert status == 400 and "note" in body["error"]


async def test_policies_list_versions_and_the_agents_using_them(env: Env) -> None:
    _, page = await env.call("GET", "/policies")
    policies = Page[PolicyVersionView].model_validate_json(json.dumps(page))
    assert [p.policy_id for p in policies.items] == ["test-office"]
    agents = policies.items[0].agents
    assert [(a.agent_id, a.policy_version) for a in agents] == [("agent-1", "2026-01-01")]
    _, detail = await env.call("GET", "/policies/test-office")
    parsed = PolicyDetail.model_validate_json(json.dumps(detail))
    assert parsed.policy.policy_id == "test-office"
    assert parsed.summary.sites == ("test-annex", "test-main")


# --- the event stream -----------------------------------------------------


class Sse:
    """A minimal SSE reader over aiohttp's response."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self) -> tuple[int, str, ChangeEvent]:
        fields: dict[str, str] = {}
        while True:
            line = (await asyncio.wait_for(self.response.content.readline(), TIMEOUT)).decode()
            if not line:
                raise EOFError("the stream ended")
            line = line.rstrip("\n")
            if not line:
                if "data" in fields:
                    event = ChangeEvent.model_validate_json(fields["data"])
                    return int(fields["id"]), fields["event"], event
                fields = {}
                continue
            name, _, value = line.partition(": ")
            fields[name] = value


async def _open(env: Env, last_id: int | None = None) -> aiohttp.ClientResponse:
    headers = bearer()
    if last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    response = await env.http.get(f"{env.base}/api/v1/events", headers=headers)
    assert response.status == 200
    assert response.content_type == "text/event-stream"
    return response


async def _until_subscribed(env: Env, clients: int) -> None:
    await asyncio.wait_for(env.hub.wait_clients(clients), TIMEOUT)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_acknowledgement_reaches_every_console_and_a_resume_replays(env: Env) -> None:
    first, second = await _open(env), await _open(env)
    await _until_subscribed(env, 2)
    finding_id = await env.finding_id("audio.encoder-enabled")
    await env.call("POST", f"/findings/{finding_id}/acknowledge", OPERATOR_TOKEN, {"note": "n"})
    for response in (first, second):
        seq, kind, event = await Sse(response).next()
        assert kind == "finding" and event.seq == seq
        assert event.event is not None and event.event.kind == "acknowledged"
        assert event.finding is not None and event.finding.state == "acknowledged"
    second.close()
    for _ in range(3):
        env.hub.publish("site", site_id="test-main")
    resumed = await _open(env, last_id=seq)
    got = [await Sse(resumed).next() for _ in range(3)]
    assert [g[0] for g in got] == [seq + 1, seq + 2, seq + 3]
    first.close()
    resumed.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_client_too_far_behind_gets_every_site_afresh(env: Env) -> None:
    start = env.hub.head
    for _ in range(30):  # more than the ring keeps (20)
        env.hub.publish("site", site_id="test-main")
    response = await _open(env, last_id=start)
    reader = Sse(response)
    got = {(await reader.next())[2].site_id for _ in range(len(env.reconciler.site_views))}
    assert got == {"test-main", "test-annex"}
    assert env.hub.stats.resets == 1
    response.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_slow_client_is_dropped_and_the_hub_goes_on(env: Env) -> None:
    env.hub.heartbeat_s = 0.05
    slow = await _open(env)  # never read
    await _until_subscribed(env, 1)
    for _ in range(200):  # far more than its queue (10) and the socket buffers
        env.hub.publish("site", site_id="test-main", site=env.reconciler.site_views["test-main"])
    assert env.hub.stats.dropped_clients == 1
    assert env.hub.clients == 0
    live = await _open(env)
    seq, kind, _ = await Sse(live).next()
    assert kind == "heartbeat" and seq == env.hub.head
    slow.close()
    live.close()
