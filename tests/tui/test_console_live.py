"""The console with authentication and the live event stream, headless,
against the stand-in controller: tokens refused and roles, changes applied
in place, alerts and their notification, acknowledging with a note, the
stream dropping and resuming from Last-Event-ID, sorting and filtering,
the policy and help screens."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import TypeVar

import pytest
from console_fleet import ANNEX, MAIN, NOW, OPERATOR_TOKEN, TOKENS, VIEWER_TOKEN, FleetData
from fake_api import FakeController
from textual.pilot import Pilot
from textual.widgets import Static

from schemas.api import SeverityCounts
from tui.app import CamwardenApp
from tui.client import ApiClient, ControllerError
from tui.screens.alerts import AlertsScreen
from tui.screens.base import DataScreen
from tui.screens.camera import CameraScreen
from tui.screens.fleet import FleetScreen
from tui.screens.help import HelpScreen
from tui.screens.policy import PolicyScreen
from tui.screens.site import SiteScreen
from tui.widgets.filter_box import FilterBox
from tui.widgets.finding_detail import FindingDetail
from tui.widgets.fleet_summary import FleetSummary
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.status_line import StatusLine

WAIT_S = 5.0
S = TypeVar("S", bound=DataScreen)


@pytest.fixture
def authed(fleet_data: FleetData) -> Iterator[FakeController]:
    fake = FakeController(fleet_data, tokens=TOKENS)
    fake.start()
    try:
        yield fake
    finally:
        fake.close()


def console(
    fake: FakeController, token: str | None = OPERATOR_TOKEN, **options: object
) -> CamwardenApp:
    settings: dict[str, object] = {"refresh_seconds": 0, "clock": lambda: NOW,
                                   "display_tz": UTC, "stream_backoff": 0.05}
    settings.update(options)
    return CamwardenApp(fake.url, token=token, **settings)  # type: ignore[arg-type]


async def loaded(pilot: Pilot[int], kind: type[S], loads: int = 1) -> S:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, kind), f"expected {kind.__name__}, on {type(screen).__name__}"
    async with asyncio.timeout(WAIT_S):
        await screen.wait_loaded(loads)
    await pilot.pause()
    return screen


async def until(screen: DataScreen, condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT_S):
        await screen.wait_until(condition)


async def live(pilot: Pilot[int], fake: FakeController) -> None:
    """Wait until the console follows the stream."""
    app = pilot.app
    assert isinstance(app, CamwardenApp) and app.stream is not None
    stream = app.stream
    async with asyncio.timeout(WAIT_S):
        while not (stream.connected and fake.streams):
            await pilot.pause(0.01)


def texts(table: KeyedTable, column: str) -> dict[str, str]:
    return {str(k.value): str(getattr(c, "plain", c))
            for k in table.rows for c in [table.get_cell(k, column)]}


# --- authentication ---------------------------------------------------------


async def test_client_sends_the_bearer_token(authed: FakeController) -> None:
    async with ApiClient(authed.url, token=VIEWER_TOKEN) as api:
        assert (await api.fleet()).sites == 2


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-token", "wrong-token"])
async def test_a_refused_token_is_said_plainly(authed: FakeController, token: str | None) -> None:
    async with ApiClient(authed.url, token=token) as api:
        with pytest.raises(ControllerError, match="token refused") as caught:
            await api.fleet()
    assert caught.value.status == 401 and caught.value.refused


async def test_console_with_a_refused_token_says_so_on_the_status_line(
    authed: FakeController,
) -> None:
    app = console(authed, token="not-a-token", live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await loaded(pilot, FleetScreen)
        assert fleet.query_one(StatusLine).text.startswith(
            f"✖ token refused by the controller at {authed.url} (HTTP 401)"
        )


# --- live changes -----------------------------------------------------------


async def test_site_change_updates_its_row_in_place_without_refetching_sites(
    authed: FakeController, fleet_data: FleetData
) -> None:
    app = console(authed)
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await loaded(pilot, FleetScreen)
        await live(pilot, authed)
        table = fleet.query_one("#sites", KeyedTable)
        before = len(authed.requests)
        annex = fleet_data.sites[1].model_copy(update={"agent_online": True,
                                                       "findings_open": SeverityCounts()})
        authed.data.sites = (fleet_data.sites[0], annex)
        authed.publish("agent", site_id=ANNEX, site=annex)
        await until(fleet, lambda: fleet.changes >= 1)
        await pilot.pause()
        assert texts(table, "agent")[ANNEX] == "● online, 21 min"
        assert texts(table, "findings")[ANNEX] == "✔ none"
        assert "/api/v1/sites" not in [r.split("?")[0] for r in authed.requests[before:]]
        assert "● live" in fleet.query_one(StatusLine).text


async def test_new_critical_finding_flashes_and_reaches_the_alerts_and_camera(
    authed: FakeController, fleet_data: FleetData
) -> None:
    app = console(authed)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("enter", )
        site = await loaded(pilot, SiteScreen)
        await live(pilot, authed)
        audio = next(f for f in fleet_data.findings if f.rule == "audio.encoder-enabled")
        fresh = audio.model_copy(update={"id": 99, "camera_key": "test-main-cam1",
                                         "first_seen": NOW})
        authed.put_finding(fresh)
        await until(site, lambda: site.changes >= 1)
        assert any(n.title == "✖ CRITICAL finding" and "test-main-cam1" in n.message
                   for n in app._notifications)
        await pilot.press("a")
        alerts = await loaded(pilot, AlertsScreen)
        rows = alerts.query_one("#alerts", KeyedTable)
        assert texts(rows, "what") == {"1": "● NEW"}
        assert texts(rows, "where") == {"1": f"{MAIN} / test-main-cam1"}
        await pilot.press("enter")
        camera = await loaded(pilot, CameraScreen)
        assert camera.camera_key == "test-main-cam1"
        assert "99" in camera.query_one("#findings", KeyedTable).keys


async def test_acknowledge_with_a_note_reaches_the_controller_and_the_history(
    authed: FakeController,
) -> None:
    app = console(authed)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("enter")
        await loaded(pilot, SiteScreen)
        await pilot.press("down", "enter")
        camera = await loaded(pilot, CameraScreen)
        assert camera.current is not None and camera.current.id == 1
        await pilot.press("k")
        await pilot.pause()
        await pilot.press(*"vendor ticket 4411", "enter")
        await until(camera, lambda: camera.acknowledged == 1 and 1 in camera.histories)
        await pilot.pause()
        findings = camera.query_one("#findings", KeyedTable)
        assert texts(findings, "state")["1"] == "◐ acknowledged"
        detail = str(camera.query_one(FindingDetail).content)
        assert "by kim.operator: vendor ticket 4411" in detail
        assert "◐ acknowledged by kim.operator: vendor ticket 4411" in detail
    async with ApiClient(authed.url, token=VIEWER_TOKEN) as api:
        stored = await api.finding(1)
    assert (stored.state, stored.note, stored.acknowledged_by) == (
        "acknowledged", "vendor ticket 4411", "kim.operator"
    )


async def test_a_viewer_may_not_acknowledge_and_is_told_so(authed: FakeController) -> None:
    app = console(authed, token=VIEWER_TOKEN, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("enter")
        await loaded(pilot, SiteScreen)
        await pilot.press("down", "enter")
        camera = await loaded(pilot, CameraScreen)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press(*"mine", "enter")
        await until(camera, lambda: camera.changes >= 1)
        assert camera.acknowledged == 0
        assert any(n.message.startswith("your role may not acknowledge (HTTP 403")
                   for n in app._notifications)
        assert texts(camera.query_one("#findings", KeyedTable), "state")["1"] == "● open"


async def test_stream_drop_reconnects_with_last_event_id_and_misses_nothing(
    authed: FakeController, fleet_data: FleetData
) -> None:
    app = console(authed)
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await loaded(pilot, FleetScreen)
        await live(pilot, authed)
        assert app.stream is not None
        main, annex = fleet_data.sites
        for name in ("one", "two"):
            renamed = main.model_copy(update={"name": name})
            authed.data.sites = (renamed, annex)
            authed.publish("site", site_id=MAIN, site=renamed)
            if name == "one":
                await until(fleet, lambda: fleet.changes >= 1)
                authed.drop_streams()
        await until(fleet, lambda: app.stream is not None and app.stream.received >= 2)
        await pilot.pause()
        assert authed.last_event_ids == [None, "1"]
        assert app.stream.last_event_id == "2"
        assert texts(fleet.query_one("#sites", KeyedTable), "site")[MAIN] == "two"


async def test_controller_away_falls_back_to_refresh_and_stream_comes_back(
    authed: FakeController,
) -> None:
    app = console(authed, refresh_seconds=0.1)
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await loaded(pilot, FleetScreen)
        await live(pilot, authed)
        link = app.ctx.link
        await authed.stop_async()
        await until(fleet, lambda: not link.healthy)
        await pilot.pause()
        assert fleet.query_one(StatusLine).text.startswith(
            f"✖ controller unreachable at {authed.url}, retrying every 0.1 s"
        )
        await authed.start_async()
        await until(fleet, lambda: link.healthy)
        await live(pilot, authed)
        await pilot.pause()
        assert "● live" in fleet.query_one(StatusLine).text


# --- screens ---------------------------------------------------------------


async def test_fleet_filter_and_sort(authed: FakeController) -> None:
    app = console(authed, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await loaded(pilot, FleetScreen)
        table = fleet.query_one("#sites", KeyedTable)
        assert table.keys == [MAIN, ANNEX]  # attention: 3 critical before 1
        await pilot.press("s")  # by name: 별관 sorts before 본관
        assert table.keys == [ANNEX, MAIN]
        await pilot.press("slash", *"offline")
        assert table.keys == [ANNEX]
        await pilot.press("enter")
        assert table.has_focus
        await pilot.press("enter")
        site = await loaded(pilot, SiteScreen)
        assert site.site_id == ANNEX
        assert "Compliance" in str(fleet.query_one(FleetSummary).content)


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("state:missing", ["test-main-cam4"]),
        ("state:undeclared", ["127.0.0.1:18099"]),
        ("rule:audio", ["test-main-cam2"]),
        ("axis", ["test-main-cam5"]),
    ],
    ids=["state-missing", "state-undeclared", "rule", "vendor"],
)
async def test_site_filter_by_state_rule_or_word(
    authed: FakeController, query: str, keys: list[str]
) -> None:
    app = console(authed, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("enter")
        site = await loaded(pilot, SiteScreen)
        await pilot.press("slash")
        site.query_one(FilterBox).value = query
        await pilot.pause()
        assert site.query_one("#cameras", KeyedTable).keys == keys


async def test_policy_screen_shows_versions_and_which_agents_run_them(
    authed: FakeController,
) -> None:
    app = console(authed, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("p")
        policy = await loaded(pilot, PolicyScreen)
        table = policy.query_one("#policies", KeyedTable)
        reached = texts(table, "reached")
        assert reached["test-office/test-main/agent-main"] == "✔ 2026-01-01"
        assert reached["test-office/test-annex/agent-annex"] == "▲ OLD 2025-06-01"
        detail = str(policy.query_one("#policy-detail", Static).content)
        assert "시험 기관 (Test Office)" in detail
        assert "Retention: 30 days" in detail


async def test_help_lists_the_keys_and_closes(authed: FakeController) -> None:
    app = console(authed, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).content)
        assert "acknowledge it with a note" in text and "state:missing" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, FleetScreen)


async def test_command_palette_offers_every_screen(authed: FakeController) -> None:
    app = console(authed, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await loaded(pilot, FleetScreen)
        titles = {c.title for c in app.get_system_commands(fleet)}
    assert {"Fleet", "Alerts", "Policies", "Help", "Filter sites", "Sort sites"} <= titles
