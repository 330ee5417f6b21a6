"""The register's routes on the controller's real API over loopback:
operator-only writes, the request flow, exports that re-import, the checklist."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from controller.api import build_app
from controller.auth import TokenEntry, Tokens, hash_token
from controller.config import ReconcileConfig
from controller.reconciler import Reconciler, declared_sites
from controller.register.export import parse_anchor, read_register_csv, reseal
from controller.store import Store
from schemas.policy import Policy
from schemas.register import ChecklistView, RegisterEntry, RegisterPage, RequestsView

OPERATOR, VIEWER = "cw_register-operator", "cw_register-viewer"
RECEIVED = datetime(2026, 5, 29, 2, 0, tzinfo=UTC)  # 11:00 KST, due end of 8 June KST


class Clock:
    def __init__(self) -> None:
        self.now = RECEIVED

    def __call__(self) -> datetime:
        return self.now


class Api:
    def __init__(self, session: aiohttp.ClientSession, base: str, clock: Clock) -> None:
        self.session, self.base, self.clock = session, base, clock

    async def call(
        self, method: str, path: str, body: Any = None, token: str = OPERATOR
    ) -> tuple[int, Any]:
        async with self.session.request(
            method,
            f"{self.base}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()


@pytest.fixture
async def api(db_url: str, policy: Policy) -> AsyncIterator[Api]:
    clock = Clock()
    store = await Store.open(db_url)
    reconciler = Reconciler(store, declared_sites([policy]), ReconcileConfig(), clock=clock)
    tokens = Tokens(
        [
            TokenEntry(name="olga", role="operator", sha256=hash_token(OPERATOR)),
            TokenEntry(name="victor", role="viewer", sha256=hash_token(VIEWER)),
        ]
    )
    server = TestServer(build_app(reconciler, store, tokens=tokens), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield Api(session, f"http://127.0.0.1:{server.port}", clock)
    await server.close()
    await store.close()


ENTRY = {
    "kind": "provision",
    "occurred_at": "2026-05-29T14:00:00+09:00",
    "site_id": "test-main",
    "camera_ids": ["test-main-cam2"],
    "footage_from": "2026-05-20T18:30:00+09:00",
    "footage_until": "2026-05-20T19:00:00+09:00",
    "file_name": "260520-cam2.mp4",
    "file_form": "video",
    "handler": "security officer",
    "purpose": "investigation of a theft",
    "recipient": "police station investigation team (investigator)",
    "legal_basis": "PIPA Art. 18(2)7",
    "form_of_use": "copy on USB",
    "period_of_use": "2026-05-29 ~ 2026-06-28",
    "destruction_due": "2026-06-28",
}
REQUEST = {
    "site_id": "test-main",
    "requester": "data subject",
    "relation": "self",
    "camera_ids": ["test-main-cam1"],
    "footage_from": "2026-05-27T18:30:00+09:00",
    "footage_until": "2026-05-27T19:00:00+09:00",
    "purpose": "lost wallet in the lobby",
    "received_at": RECEIVED.isoformat(),
}


async def test_writes_need_the_operator_role(api: Api) -> None:
    status, body = await api.call(
        "POST", "/register", {"policy_id": "test-office", "entry": ENTRY}, token=VIEWER
    )
    assert (status, body) == (403, {"error": "role 'viewer' may not write the register"})
    status, stored = await api.call(
        "POST", "/register", {"policy_id": "test-office", "entry": ENTRY}
    )
    assert status == 201 and RegisterEntry.model_validate_json(_dump(stored)).number == 1
    status, page = await api.call("GET", "/register?policy=test-office", token=VIEWER)
    parsed = RegisterPage.model_validate_json(_dump(page))
    assert status == 200 and parsed.total == 1 and parsed.verify.problems == ()


async def test_bad_input_is_named(api: Api) -> None:
    assert (await api.call("GET", "/register?policy=nope"))[0] == 404
    status, body = await api.call("GET", "/register?colour=red")
    assert status == 400 and "colour" in body["error"]
    status, body = await api.call(
        "POST", "/register", {"policy_id": "test-office", "entry": {**ENTRY, "purpose": ""}}
    )
    assert status == 400 and body["error"].startswith("entry: purpose")


async def test_a_request_from_receipt_to_its_register_entry(api: Api) -> None:
    status, created = await api.call("POST", "/requests", {"request": REQUEST})
    assert status == 201 and created["deadline"] == "2026-06-08T15:00:00Z"
    request_id = created["id"]
    api.clock.now = RECEIVED + timedelta(days=8)
    _, view = await api.call("GET", "/requests")
    assert [f.rule for f in RequestsView.model_validate_json(_dump(view)).findings] == [
        "request.due-soon"
    ]
    assert (await api.call("POST", f"/requests/{request_id}/close", {}))[0] == 409
    status, answered = await api.call(
        "POST",
        f"/requests/{request_id}/answer",
        {
            "outcome": "granted",
            "answered_at": "2026-06-05T10:00:00+09:00",
            "handler": "security officer",
        },
    )
    assert status == 200 and answered["register_numbers"] == [1]
    status, closed = await api.call("POST", f"/requests/{request_id}/close", {})
    assert status == 200 and closed["state"] == "closed"
    _, page = await api.call("GET", "/register?kind=viewing")
    assert RegisterPage.model_validate_json(_dump(page)).items[0].entry.request_id == request_id
    assert (await api.call("GET", "/requests/999"))[0] == 404


async def test_the_csv_export_reimports_to_the_same_entries(api: Api) -> None:
    for _ in range(3):
        await api.call("POST", "/register", {"policy_id": "test-office", "entry": ENTRY})
    await api.call("POST", "/requests", {"request": REQUEST})
    await api.call(
        "POST",
        "/requests/1/answer",
        {
            "outcome": "partly",
            "answered_at": RECEIVED.isoformat(),
            "handler": "manager",
            "reason": "other people's faces masked",
            "form_of_use": "viewing on site",
        },
    )
    _, page = await api.call("GET", "/register")
    stored = RegisterPage.model_validate_json(_dump(page)).items
    status, text = await api.call("GET", "/register/export?format=csv")
    assert status == 200
    imported = read_register_csv(text, "test-office")
    assert tuple(imported) == stored
    assert [reseal(e) for e in imported] == [e.hash for e in stored]
    anchor = parse_anchor(text)
    assert (anchor.number, anchor.hash) == (4, stored[-1].hash)
    _, html_ko = await api.call("GET", "/register/export?format=html&lang=ko")
    assert "개인영상정보 관리대장" in html_ko and stored[-1].hash in html_ko
    assert parse_anchor(html_ko) == anchor


async def test_the_checklist_is_filled_from_evidence(api: Api) -> None:
    await api.call("POST", "/register", {"policy_id": "test-office", "entry": ENTRY})
    _, body = await api.call("GET", "/checklist", token=VIEWER)
    view = ChecklistView.model_validate_json(_dump(body))
    status = {item.no: item.status for item in view.checklist.items}
    assert status == {
        1: "needs-person",
        2: "needs-person",
        3: "done",
        4: "done",
        5: "done",
        6: "done",
        7: "done",
        8: "done",
        9: "not-applicable",
    }
    assert view.checklist.due.isoformat() == "2026-03-31"
    assert [f.rule for f in view.findings] == ["checklist.overdue"]
    assert (await api.call("POST", "/checklist/complete", {"policy_id": "test-office"}))[0] == 201
    _, body = await api.call("GET", "/checklist")
    assert ChecklistView.model_validate_json(_dump(body)).findings == ()
    _, html_en = await api.call("GET", "/checklist/export?format=html&lang=en")
    assert "CCTV self-inspection checklist" in html_en and "needs a person" in html_en


def _dump(value: Any) -> str:
    import json

    return json.dumps(value)
