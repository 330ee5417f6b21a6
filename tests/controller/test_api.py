"""The HTTP API over a real loopback server: routes, filters, paging and
the 400/404 answers. State is written through the store (the ingest path is
covered in test_service.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from ctl_factory import Agent, bearer, now, token_entries

from controller.api import build_app
from controller.auth import Tokens
from controller.config import ReconcileConfig
from controller.intake import RawMessage, sort_messages
from controller.reconciler import Reconciler, declared_sites
from controller.store import Store
from schemas.api import CameraDetail, FindingView, FleetView, Page, SiteView
from schemas.policy_file import load_policy
from schemas.topics import encode

STRANGER = "127.0.0.1:8009"


class Api:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.session.get(f"{self.base}/api/v1{path}", headers=bearer()) as response:
            assert response.content_type == "application/json"
            return response.status, await response.json()


@pytest.fixture
async def api(db_url: str, small_policy_path: Path) -> AsyncIterator[Api]:
    store = await Store.open(db_url)
    reconciler = Reconciler(
        store, declared_sites([load_policy(small_policy_path)]), ReconcileConfig()
    )
    agent = Agent("test-main")
    messages = [
        agent.birth(),
        agent.report("127.0.0.1:8001", "TEST-0001", audio=True),
        agent.report("127.0.0.1:8002", "TEST-0002"),
        agent.report(STRANGER, "TEST-9999"),
        agent.cycle(("127.0.0.1:8001", "127.0.0.1:8002", STRANGER)),
    ]
    raws = [RawMessage(*encode(m), 1, 1, now()) for m in messages]
    await store.write_batch(sort_messages(raws, 1 << 20), now())
    await reconciler.reconcile(list(reconciler.sites))
    server = TestServer(
        build_app(reconciler, store, tokens=Tokens(token_entries())), host="127.0.0.1"
    )
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield Api(session, f"http://127.0.0.1:{server.port}")
    await server.close()
    await store.close()


async def test_routes_answer_with_the_schema_models(api: Api) -> None:
    assert await api.get("/health") == (200, {"status": "ok"})
    _, fleet = await api.get("/fleet")
    assert FleetView.model_validate_json(_dump(fleet)).cameras_compliant == 1
    _, sites = await api.get("/sites")
    assert [s.site_id for s in Page[SiteView].model_validate_json(_dump(sites)).items] == [
        "test-annex",
        "test-main",
    ]
    _, site = await api.get("/sites/test-main")
    assert SiteView.model_validate_json(_dump(site)).agent_online is True
    _, detail = await api.get("/cameras/test-main/test-main-cam1")
    parsed = CameraDetail.model_validate_json(_dump(detail))
    assert parsed.camera.state == "findings"
    assert [f.rule for f in parsed.findings] == ["audio.encoder-enabled"]
    _, stranger = await api.get(f"/cameras/test-main/{STRANGER}")
    assert stranger["camera"]["state"] == "undeclared" and stranger["declared"] is None


def _dump(data: Any) -> str:
    import json

    return json.dumps(data)


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        pytest.param("", {"test-main-cam1", "test-main-cam3", STRANGER}, id="all"),
        pytest.param("?severity=warning", {"test-main-cam3"}, id="severity"),
        pytest.param("?rule=inventory.undeclared", {STRANGER}, id="rule"),
        pytest.param("?camera=test-main-cam1", {"test-main-cam1"}, id="camera"),
        pytest.param("?site=test-annex", set(), id="site"),
        pytest.param("?state=resolved", set(), id="state"),
    ],
)
async def test_findings_filters(api: Api, query: str, keys: set[str]) -> None:
    status, page = await api.get(f"/findings{query}")
    assert status == 200
    parsed = Page[FindingView].model_validate_json(_dump(page))
    assert {f.camera_key for f in parsed.items} == keys
    assert parsed.total == len(keys)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_paging_walks_every_item_once_most_severe_first(api: Api) -> None:
    seen = []
    for offset in range(3):
        _, page = await api.get(f"/findings?offset={offset}&limit=1")
        assert (page["total"], page["offset"], page["limit"]) == (3, offset, 1)
        seen += [f["severity"] for f in page["items"]]
    assert seen == ["critical", "critical", "warning"]
    _, cameras = await api.get("/sites/test-main/cameras?state=missing&limit=10")
    assert [c["key"] for c in cameras["items"]] == ["test-main-cam3"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("path", "status", "names"),
    [
        pytest.param("/findings?limit=0", 400, "'limit'", id="limit-zero"),
        pytest.param("/findings?limit=1001", 400, "'limit'", id="limit-too-big"),
        pytest.param("/findings?offset=-1", 400, "'offset'", id="offset-negative"),
        pytest.param("/findings?offset=abc", 400, "'offset'", id="offset-not-int"),
        pytest.param("/findings?severity=bad", 400, "'severity'", id="bad-severity"),
        pytest.param("/findings?state=closed", 400, "'state'", id="bad-state"),
        pytest.param("/findings?rule=no.such", 400, "'rule'", id="unknown-rule"),
        pytest.param("/findings?colour=red", 400, "'colour'", id="unknown-parameter"),
        pytest.param("/findings?site=a&site=b", 400, "'site'", id="repeated-parameter"),
        pytest.param("/sites/test-main/cameras?state=odd", 400, "'state'", id="bad-camera-state"),
        pytest.param("/findings?site=nowhere", 404, "'nowhere'", id="findings-unknown-site"),
        pytest.param("/sites/nowhere", 404, "'nowhere'", id="unknown-site"),
        pytest.param("/sites/nowhere/cameras", 404, "'nowhere'", id="cameras-unknown-site"),
        pytest.param("/cameras/test-main/cam99", 404, "'cam99'", id="unknown-camera"),
        pytest.param("/cameras/nowhere/cam1", 404, "'nowhere'", id="camera-unknown-site"),
        pytest.param("/no/such/route", 404, "Not Found", id="unknown-route"),
    ],
)
async def test_bad_requests_name_what_is_wrong(
    api: Api, path: str, status: int, names: str
) -> None:
    got, body = await api.get(path)
    assert got == status
    assert names in body["error"]


def test_openapi_describes_exactly_the_served_routes() -> None:
    import yaml

    import controller.api as served

    spec = yaml.safe_load((Path(served.__file__).parent / "openapi.yaml").read_text())
    app = build_app(None, None, tokens=Tokens(()))  # type: ignore[arg-type]
    served = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
    assert set(spec["paths"]) == served
