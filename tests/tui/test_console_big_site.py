"""A site bigger than one page, opened while its later pages are still on
the way (the stand-in holds them): the first page shows at once, the status
line says how many of how many are in, the cursor stays on its row as pages
are added, and a filter typed meanwhile keeps the right rows of the whole
list once it is in."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from datetime import timedelta

import pytest
from console_fleet import MAIN, NOW
from fake_api import FakeController
from textual.pilot import Pilot

from schemas.api import CameraView, Page
from tui.app import CamwardenApp
from tui.client import DEFAULT_PAGE, ApiClient
from tui.screens.fleet import FleetScreen
from tui.screens.site import SiteScreen
from tui.widgets.filter_box import FilterBox
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.status_line import StatusLine

WAIT_S = 5.0
CAMERAS = 1000
"""Five pages of 200."""
STATES = ("compliant", "compliant", "findings", "missing", "undeclared")
MakeApp = Callable[..., CamwardenApp]


def many_cameras() -> tuple[CameraView, ...]:
    return tuple(
        CameraView(
            site_id=MAIN, key=f"cam-{i:04d}", camera_id=f"cam-{i:04d}", name=f"Cam {i}",
            location=f"floor {i % 9}", coverage="corridor", declared=True,
            state=STATES[i % len(STATES)],  # type: ignore[arg-type]
            last_seen=NOW - timedelta(seconds=40),
        )
        for i in range(CAMERAS)
    )


async def opened_while_held(pilot: Pilot[int]) -> tuple[SiteScreen, KeyedTable]:
    """Enter on the fleet's first site (the big one); back once its first page is in."""
    async with asyncio.timeout(WAIT_S):
        fleet = pilot.app.screen
        assert isinstance(fleet, FleetScreen)
        await fleet.wait_loaded()
        await pilot.press("enter")
        while not isinstance(pilot.app.screen, SiteScreen):
            await pilot.pause()
        site = pilot.app.screen
        table = site.query_one("#cameras", KeyedTable)
        await site.wait_until(lambda: table.row_count > 0)
    await pilot.pause()
    return site, table


async def all_in(controller: FakeController, site: SiteScreen) -> None:
    controller.release_pages()
    async with asyncio.timeout(WAIT_S):
        await site.wait_until(lambda: site.complete)
        await site.wait_loaded()


async def test_the_first_page_shows_and_says_it_is_not_all_of_them(
    make_app: MakeApp, controller: FakeController
) -> None:
    controller.data.cameras = {**controller.data.cameras, MAIN: many_cameras()}
    controller.hold_pages()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        site, table = await opened_while_held(pilot)
        assert table.row_count == 200
        assert not site.complete
        assert "loading 200 / 1,000 cameras…" in site.query_one(StatusLine).text
        await all_in(controller, site)
        await pilot.pause()
        assert table.keys == [camera.key for camera in many_cameras()]
        assert "loading" not in site.query_one(StatusLine).text


async def test_the_cursor_stays_on_its_row_as_pages_are_added(
    make_app: MakeApp, controller: FakeController
) -> None:
    controller.data.cameras = {**controller.data.cameras, MAIN: many_cameras()}
    controller.hold_pages()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        site, table = await opened_while_held(pilot)
        await pilot.press("down", "down", "down")
        assert table.cursor_key == "cam-0003"
        await all_in(controller, site)
        await pilot.pause()
        assert (table.row_count, table.cursor_key, table.cursor_row) == (CAMERAS, "cam-0003", 3)
        assert table.scroll_offset.y == 0


async def test_a_filter_typed_while_pages_arrive_keeps_the_right_rows_of_all_of_them(
    make_app: MakeApp, controller: FakeController
) -> None:
    controller.data.cameras = {**controller.data.cameras, MAIN: many_cameras()}
    controller.hold_pages()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        site, table = await opened_while_held(pilot)
        site.query_one(FilterBox).value = "state:missing"
        await pilot.pause()
        assert table.keys == [c.key for c in many_cameras()[:200]
                              if c.state == "missing"]
        await all_in(controller, site)
        await pilot.pause()
        wanted = [c.key for c in many_cameras() if c.state == "missing"]
        assert len(wanted) == CAMERAS // len(STATES)
        assert table.keys == wanted
        site.query_one(FilterBox).value = ""
        await pilot.pause()
        assert table.keys == [camera.key for camera in many_cameras()]


async def test_the_first_page_is_asked_for_before_the_screen_is_mounted(
    make_app: MakeApp, controller: FakeController, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site's summary and first page are on the way while its widgets
    are built, mounted and styled (as the fleet's), not once they are."""
    controller.data.cameras = {**controller.data.cameras, MAIN: many_cameras()}
    asked: list[tuple[int, bool]] = []
    cameras = ApiClient.cameras

    async def recorded(self: ApiClient, site_id: str, state: str | None = None,
                       offset: int = 0, limit: int = DEFAULT_PAGE) -> Page[CameraView]:
        screen = app.screen
        asked.append((offset, isinstance(screen, SiteScreen) and screen.is_mounted))
        return await cameras(self, site_id, state, offset, limit)

    monkeypatch.setattr(ApiClient, "cameras", recorded)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        site, table = await opened_while_held(pilot)
        async with asyncio.timeout(WAIT_S):
            await site.wait_loaded()
        assert asked[0] == (0, False)
        assert [offset for offset, _ in asked] == [0, 200, 700]
        assert table.keys == [camera.key for camera in many_cameras()]


async def test_the_whole_list_is_painted_before_the_collector_runs_again(
    make_app: MakeApp, controller: FakeController
) -> None:
    """The collection of what a load made (one walk of everything new)
    comes after the frame that shows the whole list, not before it; the
    load counts as finished only after it."""
    controller.data.cameras = {**controller.data.cameras, MAIN: many_cameras()}
    app = make_app()
    painted: list[bool] = []
    display = app._display

    def recorded(screen: object, renderable: object) -> None:
        display(screen, renderable)  # type: ignore[arg-type]
        site = app.screen
        if renderable is not None and isinstance(site, SiteScreen) and site.complete:
            painted.append(gc.isenabled())

    app._display = recorded  # type: ignore[method-assign]
    assert gc.isenabled()
    async with app.run_test(size=(100, 30)) as pilot:
        site, table = await opened_while_held(pilot)
        async with asyncio.timeout(WAIT_S):
            await site.wait_loaded()
        assert table.row_count == CAMERAS
        assert painted and painted[0] is False, "the first frame with all rows, collector paused"
        assert gc.isenabled(), "on again once the load is finished"
