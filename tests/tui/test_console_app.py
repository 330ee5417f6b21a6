"""The real console, headless, driven by Pilot against the stand-in
controller on loopback: navigation, in-place refresh, and the controller
going away and coming back."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import pytest
from console_fleet import MAIN, NOW, FleetData
from fake_api import FakeController
from textual.pilot import Pilot

from schemas.api import CameraView, SeverityCounts, SiteView
from schemas.errors import ConfigError
from tui.app import CamwardenApp, run
from tui.screens import fleet as fleet_screen
from tui.screens.base import DataScreen
from tui.screens.camera import CameraScreen
from tui.screens.fleet import FleetScreen
from tui.screens.site import SiteScreen
from tui.widgets.finding_detail import FindingDetail
from tui.widgets.fleet_summary import FleetSummary
from tui.widgets.keyed_table import KeyedTable, Row
from tui.widgets.status_line import StatusLine

WAIT_S = 5.0
S = TypeVar("S", bound=DataScreen)
MakeApp = Callable[..., CamwardenApp]


async def loaded(pilot: Pilot[int], kind: type[S], loads: int = 1) -> S:
    """The current screen, once it is a ``kind`` and has finished ``loads`` loads."""
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, kind), f"expected {kind.__name__}, on {type(screen).__name__}"
    async with asyncio.timeout(WAIT_S):
        await screen.wait_loaded(loads)
    await pilot.pause()
    return screen


def cells(table: KeyedTable, column: str) -> dict[str, str]:
    """Row key -> plain text of one column."""
    shown = {}
    for key in table.rows:
        cell = table.get_cell(key, column)
        shown[str(key.value)] = str(getattr(cell, "plain", cell))
    return shown


def status(screen: DataScreen) -> str:
    return screen.query_one(StatusLine).text


async def test_fleet_shows_compliance_findings_and_sites(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await loaded(pilot, FleetScreen)
        summary = str(fleet.query_one(FleetSummary).content)
        sites = fleet.query_one("#sites", KeyedTable)
        assert "Compliance 33.3 %" in summary
        assert "✖ 4 critical  ▲ 2 warning  ℹ 0 info" in summary
        assert cells(sites, "agent") == {
            "test-main": "● online, 40 s",
            "test-annex": "○ OFFLINE, 21 min",
        }


async def test_enter_walks_fleet_site_camera_and_escape_walks_back(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("enter")
        site = await loaded(pilot, SiteScreen)
        assert site.site_id == MAIN
        await pilot.press("down", "enter")
        camera = await loaded(pilot, CameraScreen)
        assert (camera.site_id, camera.camera_key) == (MAIN, "test-main-cam2")
        findings = camera.query_one("#findings", KeyedTable)
        assert cells(findings, "severity") == {"1": "✖ critical", "2": "▲ warning"}
        detail = str(camera.query_one(FindingDetail).content)
        assert "녹음 기능 사용(오디오 인코더)" in detail
        assert "PIPA Art. 25(5)" in detail
        assert "profiles: main" in detail
        await pilot.press("down")
        detail = str(camera.query_one(FindingDetail).content)
        assert "the recorder keeps footage 90 days; the policy declares 30" in detail
        await pilot.press("escape")
        assert app.screen is site
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)


async def test_undeclared_and_missing_cameras_stand_out_in_words(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("enter")
        site = await loaded(pilot, SiteScreen)
        table = site.query_one("#cameras", KeyedTable)
        states = cells(table, "state")
        names = cells(table, "camera")
    assert states["127.0.0.1:18099"] == "✚ UNDECLARED"
    assert states["test-main-cam4"] == "? MISSING"
    assert names["127.0.0.1:18099"].startswith("✚ ")
    assert names["test-main-cam4"].startswith("? ")


async def test_refresh_updates_rows_in_place_and_keeps_the_cursor(
    make_app: MakeApp, controller: FakeController, fleet_data: FleetData
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("enter")
        site = await loaded(pilot, SiteScreen)
        table = site.query_one("#cameras", KeyedTable)
        await pilot.press("down", "down")
        assert table.cursor_key == "test-main-cam3"

        cameras = list(fleet_data.cameras[MAIN])
        cam1 = cameras.pop(0)
        cameras[0] = cameras[0].model_copy(
            update={"state": "compliant", "findings_open": SeverityCounts()}
        )
        newcomer = CameraView(
            site_id=MAIN, key="127.0.0.1:18098", camera_id=None, name="", location="",
            coverage="", declared=False, state="undeclared", address="127.0.0.1:18098",
            last_seen=NOW,
        )
        controller.data.cameras = {**controller.data.cameras, MAIN: (*cameras, newcomer)}
        await pilot.press("r")
        await loaded(pilot, SiteScreen, loads=2)

        assert site.query_one("#cameras", KeyedTable) is table
        assert cam1.key not in cells(table, "state")
        assert cells(table, "state")["test-main-cam2"] == "✔ compliant"
        assert cells(table, "state")["127.0.0.1:18098"] == "✚ UNDECLARED"
        assert table.cursor_key == "test-main-cam3"


async def test_controller_going_away_and_coming_back(
    make_app: MakeApp, controller: FakeController
) -> None:
    now = [NOW]
    app = make_app(refresh_seconds=0.1, clock=lambda: now[0])
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await loaded(pilot, FleetScreen)
        link = app.ctx.link
        assert status(fleet).startswith("✔ connected")

        now[0] = NOW + timedelta(seconds=30)
        await controller.stop_async()
        async with asyncio.timeout(WAIT_S):
            await fleet.wait_until(lambda: not link.healthy)
        await pilot.pause()
        assert status(fleet) == (
            f"✖ controller unreachable at {controller.url}, retrying every 0.1 s; "
            "data shown is 30 s old"
        )
        assert fleet.query_one(StatusLine).has_class("-bad")
        assert len(fleet.query_one("#sites", KeyedTable).rows) == 2

        await controller.start_async()
        async with asyncio.timeout(WAIT_S):
            await fleet.wait_until(lambda: link.healthy)
        await pilot.pause()
        assert status(fleet) == f"✔ connected to {controller.url} · updated 0 s ago"
        assert not fleet.query_one(StatusLine).has_class("-bad")


async def test_bad_answer_is_shown_on_the_status_line_not_raised(
    make_app: MakeApp, controller: FakeController
) -> None:
    controller.overrides["/api/v1/fleet"] = (500, '{"error": "database is locked"}')
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await loaded(pilot, FleetScreen)
        assert status(fleet).startswith(
            f"✖ controller at {controller.url} answered HTTP 500 for /api/v1/fleet"
        )
        assert status(fleet).endswith("press r to retry; no data yet")


async def test_footer_offers_refresh_quit_open_and_back(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        fleet_keys = set(app.active_bindings)
        await pilot.press("enter")
        await loaded(pilot, SiteScreen)
        site_keys = set(app.active_bindings)
        await pilot.press("q")
    assert {"r", "q", "enter"} <= fleet_keys
    assert {"r", "q", "enter", "escape"} <= site_keys
    assert app.return_code == 0


async def test_ctrl_c_quits_from_any_screen(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("enter")
        await loaded(pilot, SiteScreen)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


def test_run_refuses_a_bad_url_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argparse.Namespace(api="127.0.0.1:8080")) == 2
    assert "expected an http:// or https:// URL" in capsys.readouterr().err


def test_negative_refresh_interval_is_refused() -> None:
    with pytest.raises(ConfigError, match="refresh interval must be >= 0 seconds"):
        CamwardenApp("http://127.0.0.1:8080", refresh_seconds=-1)


async def test_fleet_rows_are_made_again_only_for_sites_that_changed(
    make_app: MakeApp, controller: FakeController, fleet_data: FleetData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []
    site_row = fleet_screen.site_row

    def counted(site: SiteView, now: datetime) -> Row:
        made.append(site.site_id)
        return site_row(site, now)

    monkeypatch.setattr(fleet_screen, "site_row", counted)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await loaded(pilot, FleetScreen)
        assert sorted(made) == sorted(site.site_id for site in fleet_data.sites)
        made.clear()
        await pilot.press("s", "s")  # sorted twice over
        app.action_reload()  # the same sites, parsed again
        fleet = await loaded(pilot, FleetScreen, loads=2)
        assert made == []
        renamed = fleet_data.sites[1].model_copy(update={"name": "annex, renamed"})
        controller.data.sites = (fleet_data.sites[0], renamed)
        app.action_reload()
        fleet = await loaded(pilot, FleetScreen, loads=3)
        assert made == [renamed.site_id]
        assert cells(fleet.query_one("#sites", KeyedTable), "site")[renamed.site_id] == (
            "annex, renamed")
