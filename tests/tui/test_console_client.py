"""ApiClient against a real aiohttp server on loopback serving the routes of
schemas/api.py: typed answers, paging, filters, and one clear error for
every way the controller can fail."""

from __future__ import annotations

import asyncio
import re
import socket

import pytest
from console_fleet import ANNEX, MAIN, FleetData
from fake_api import FakeController

from schemas.api import CameraDetail, FleetView, Page
from schemas.errors import CamwardenError, ConfigError
from tui.client import ApiClient, ControllerError, pages_after


async def test_fleet_and_site_are_the_models_served(
    controller: FakeController, fleet_data: FleetData
) -> None:
    async with ApiClient(controller.url) as api:
        fleet = await api.fleet()
        site = await api.site(ANNEX)
    assert isinstance(fleet, FleetView)
    assert (fleet, site) == (fleet_data.fleet, fleet_data.sites[1])


async def test_camera_key_with_a_colon_reaches_the_undeclared_device(
    controller: FakeController, fleet_data: FleetData
) -> None:
    key = "127.0.0.1:18099"
    async with ApiClient(controller.url) as api:
        detail = await api.camera(MAIN, key)
    assert isinstance(detail, CameraDetail)
    assert detail == fleet_data.details[(MAIN, key)]


async def test_all_cameras_walks_every_page(
    controller: FakeController, fleet_data: FleetData
) -> None:
    async with ApiClient(controller.url) as api:
        first = await api.cameras(MAIN, offset=0, limit=4)
        everything = await api.all_cameras(MAIN)
    assert (len(first.items), first.total) == (4, 6)
    assert everything == fleet_data.cameras[MAIN]


async def test_walk_follows_a_controller_that_caps_the_page(
    controller: FakeController, fleet_data: FleetData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("fake_api.MAX_LIMIT", 2)
    async with ApiClient(controller.url) as api:
        everything = await api.all_cameras(MAIN)
    camera_requests = [r for r in controller.requests if r.startswith(f"/api/v1/sites/{MAIN}/")]
    assert everything == fleet_data.cameras[MAIN]
    assert len(camera_requests) == 3


async def test_filters_are_sent_as_query_parameters(controller: FakeController) -> None:
    async with ApiClient(controller.url) as api:
        critical = await api.findings(site=MAIN, severity="critical")
        undeclared = await api.cameras(MAIN, state="undeclared")
    assert {f.rule for f in critical.items} == {
        "audio.encoder-enabled",
        "inventory.undeclared",
        "camera.unreachable",
    }
    assert [c.key for c in undeclared.items] == ["127.0.0.1:18099"]


async def test_unknown_site_is_an_http_error_naming_the_route(controller: FakeController) -> None:
    async with ApiClient(controller.url) as api:
        with pytest.raises(ControllerError, match=r"HTTP 404 for /api/v1/sites/nowhere") as info:
            await api.site("nowhere")
    assert (info.value.status, info.value.unreachable) == (404, False)


async def test_answer_that_is_not_the_model_is_a_bad_answer_naming_the_field(
    controller: FakeController,
) -> None:
    controller.overrides["/api/v1/fleet"] = (200, '{"generated_at": "2026-03-02T09:00:00Z"}')
    async with ApiClient(controller.url) as api:
        with pytest.raises(ControllerError, match=r"bad answer for fleet: sites: Field required"):
            await api.fleet()


async def test_answer_that_is_not_json_is_a_bad_answer(controller: FakeController) -> None:
    controller.overrides["/api/v1/sites"] = (200, "<html>proxy error</html>")
    async with ApiClient(controller.url) as api:
        with pytest.raises(ControllerError, match=r"bad answer for /api/v1/sites"):
            await api.sites()


async def test_nobody_listening_is_unreachable_naming_the_url() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    async with ApiClient(url) as api:
        with pytest.raises(ControllerError, match=f"controller unreachable at {url}") as info:
            await api.fleet()
    assert info.value.unreachable
    assert isinstance(info.value, CamwardenError)


async def test_health_says_ok(controller: FakeController) -> None:
    async with ApiClient(controller.url) as api:
        assert await api.health()


@pytest.mark.parametrize(
    "url",
    ["127.0.0.1:8080", "ftp://127.0.0.1", "http://", "http://127.0.0.1:8080/?x=1"],
    ids=["no-scheme", "not-http", "no-host", "query"],
)
def test_bad_url_is_a_config_error_naming_it(url: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"--api {url!r}")):
        ApiClient(url)


@pytest.mark.parametrize(
    ("offset", "limit", "message"),
    [(-1, 10, "offset must be >= 0"), (0, 0, "limit must be >= 1")],
    ids=["negative-offset", "zero-limit"],
)
async def test_bad_paging_is_refused_before_asking(
    controller: FakeController, offset: int, limit: int, message: str
) -> None:
    async with ApiClient(controller.url) as api:
        with pytest.raises(ValueError, match=message):
            await api.sites(offset=offset, limit=limit)
    assert controller.requests == []


async def test_pages_after_the_first_come_in_order_a_few_at_a_time() -> None:
    """Later pages answered first still come out in order; at most
    ``in_flight`` are asked for at once; they are ``limit`` rows each,
    from the end of the first."""
    answered = {offset: asyncio.Event() for offset in range(2, 12, 2)}
    asked: list[int] = []
    in_flight = 0
    most = 0

    async def fetch(offset: int, limit: int) -> Page[int]:
        nonlocal in_flight, most
        asked.append(offset)
        assert limit == 2
        in_flight += 1
        most = max(most, in_flight)
        await answered[offset].wait()
        in_flight -= 1
        return Page(items=tuple(range(offset, min(offset + 2, 11))), total=11, offset=offset,
                    limit=2)

    first: Page[int] = Page(items=(0, 1), total=11, offset=0, limit=2)
    got: list[int] = []

    async def consume() -> None:
        async for page in pages_after(first, fetch, in_flight=2, limit=2):
            got.extend(page.items)

    consumer = asyncio.create_task(consume())
    for offset in (4, 2, 8, 6, 10):  # the second page answers before the first
        await asyncio.sleep(0)
        answered[offset].set()
    async with asyncio.timeout(5):
        await consumer
    assert got == list(range(2, 11))
    assert asked == [2, 4, 6, 8, 10]
    assert most == 2


async def test_a_failed_page_raises_and_cancels_those_in_flight() -> None:
    cancelled: list[int] = []

    async def fetch(offset: int, limit: int) -> Page[int]:
        if offset == 2:
            raise ControllerError("boom", url="http://x", path="/p")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(offset)
            raise
        raise AssertionError("never answered")

    first: Page[int] = Page(items=(0, 1), total=20, offset=0, limit=2)
    with pytest.raises(ControllerError, match="boom"):
        async with asyncio.timeout(5):
            async for _ in pages_after(first, fetch, in_flight=3, limit=2):
                pass
    await asyncio.sleep(0)
    assert sorted(cancelled) == [4, 6]


async def test_pages_after_the_first_are_larger() -> None:
    asked: list[tuple[int, int]] = []

    async def fetch(offset: int, limit: int) -> Page[int]:
        asked.append((offset, limit))
        return Page(items=tuple(range(offset, min(offset + limit, 23))), total=23,
                    offset=offset, limit=limit)

    first: Page[int] = Page(items=(0, 1, 2), total=23, offset=0, limit=3)
    got = [item async for page in pages_after(first, fetch, limit=10) for item in page.items]
    assert got == list(range(3, 23))
    assert asked == [(3, 10), (13, 10)]


async def test_pages_after_follow_a_controller_that_serves_smaller_pages() -> None:
    """Asked for 10, it serves 4: the pages asked for meanwhile are
    dropped, the rest asked for 4 at a time from where the list stands."""
    asked: list[tuple[int, int]] = []

    async def fetch(offset: int, limit: int) -> Page[int]:
        asked.append((offset, limit))
        served = min(limit, 4)
        return Page(items=tuple(range(offset, min(offset + served, 17))), total=17,
                    offset=offset, limit=served)

    first: Page[int] = Page(items=(0, 1, 2), total=17, offset=0, limit=3)
    got = [item async for page in pages_after(first, fetch, in_flight=2, limit=10)
           for item in page.items]
    assert got == list(range(3, 17))
    assert asked[:2] == [(3, 10), (13, 10)]
    assert asked[2:] == [(7, 4), (11, 4), (15, 4)]
