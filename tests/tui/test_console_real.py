"""The console against the real thing: simulated cameras -> agent (ONVIF)
-> Mosquitto -> controller (SQLite, token auth, event stream) -> HTTP API
-> the console, headless. Fleet -> site -> camera, a filter, acknowledging
with a note (checked through the API), a critical alert arriving live (the
agent stops: agent.offline), and the controller going away and coming back
on the same port."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TypeVar

import yaml
from textual.pilot import Pilot

from agent.config import load_config as load_agent_config
from agent.service import Agent
from camwarden.broker import Mosquitto, free_port
from controller.auth import hash_token
from controller.config import load_config as load_controller_config
from controller.service import Controller
from schemas.policy_file import load_policy
from simulator.fleet import build_cameras, load_fleet
from simulator.server import SimulatedFleet
from tui.app import CamwardenApp
from tui.client import ApiClient
from tui.screens.alerts import AlertsScreen
from tui.screens.base import DataScreen
from tui.screens.camera import CameraScreen
from tui.screens.fleet import FleetScreen
from tui.screens.site import SiteScreen
from tui.widgets.filter_box import FilterBox
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.status_line import StatusLine

FIXTURES = Path(__file__).parent.parent / "fixtures"
POLICY = FIXTURES / "policy-e2e.yaml"
FLEET = FIXTURES / "fleet-e2e.yaml"
SITE = "e2e-main"
TOKEN = "cw_console-operator"
WAIT_S = 20.0
S = TypeVar("S", bound=DataScreen)


def _write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _controller(tmp_path: Path, broker: int, api_port: int) -> Controller:
    return Controller(load_controller_config(_write(tmp_path / "controller.yaml", {
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'camwarden.db'}"},
        "mqtt": {"port": broker, "client_id": "console-controller"},
        "policies": [str(POLICY)],
        "api": {"host": "127.0.0.1", "port": api_port, "tokens": [
            {"name": "kim.operator", "role": "operator", "sha256": hash_token(TOKEN)}
        ]},
    })))


async def on(pilot: Pilot[int], kind: type[S], loads: int = 1) -> S:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, kind), f"expected {kind.__name__}, on {type(screen).__name__}"
    async with asyncio.timeout(WAIT_S):
        await screen.wait_loaded(loads)
    await pilot.pause()
    return screen


async def until(screen: DataScreen, condition: object) -> None:
    async with asyncio.timeout(WAIT_S):
        await screen.wait_until(condition)  # type: ignore[arg-type]


async def test_console_on_a_real_controller_fed_by_the_simulator(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    policy = load_policy(POLICY)
    cameras = build_cameras(policy, load_fleet(FLEET, policy), password="e2e-secret")
    (tmp_path / "camera-password").write_text("e2e-secret\n")
    api_port = free_port()
    async with SimulatedFleet(cameras) as sim:
        controller = _controller(tmp_path, mosquitto.port, api_port)
        await controller.start()
        agent = Agent(load_agent_config(_write(tmp_path / "agent.yaml", {
            "agent_id": "console-agent", "site_id": SITE, "policy": str(POLICY),
            "mqtt": {"port": mosquitto.port},
            "cameras": {"username": "admin",
                        "password_file": str(tmp_path / "camera-password"),
                        "targets": [e.address for e in sim.endpoints]},
            "interval_s": 3600, "timeout_s": 3,
        })))
        running = asyncio.create_task(agent.run())
        try:
            await agent.wait_cycles(1)
            await controller.wait_for_full_cycles([SITE], timeout=60)
            controller = await _walk_the_console(tmp_path, mosquitto, controller, agent, api_port)
        finally:
            await agent.stop()
            await running
            await controller.stop()


async def _walk_the_console(
    tmp_path: Path, mosquitto: Mosquitto, controller: Controller, agent: Agent, api_port: int
) -> Controller:
    url = controller.api_url
    app = CamwardenApp(url, token=TOKEN, refresh_seconds=0.2, stream_backoff=0.05)
    async with app.run_test(size=(100, 30)) as pilot:
        fleet = await on(pilot, FleetScreen)
        assert fleet.query_one("#sites", KeyedTable).keys == [SITE]
        await pilot.press("enter")
        site = await on(pilot, SiteScreen)
        cameras = site.query_one("#cameras", KeyedTable)
        await until(site, lambda: site.complete and site.rules)

        site.query_one(FilterBox).value = "state:missing"
        await pilot.pause()
        assert cameras.keys == ["e2e-absent"]
        site.query_one(FilterBox).value = "rule:audio"
        await pilot.pause()
        assert cameras.keys == ["e2e-audio"]
        await pilot.press("enter")  # from the filter box: back to the table
        await pilot.press("enter")
        camera = await on(pilot, CameraScreen)
        assert camera.current is not None and camera.current.rule == "audio.encoder-enabled"
        finding_id = camera.current.id

        await pilot.press("k")
        await pilot.pause()
        await pilot.press(*"ticket 77", "enter")
        await until(camera, lambda: camera.acknowledged == 1)
        async with ApiClient(url, token=TOKEN) as api:
            stored = await api.finding(finding_id)
            history = await api.history(finding_id)
        assert (stored.state, stored.note, stored.acknowledged_by) == (
            "acknowledged", "ticket 77", "kim.operator")
        assert [step.kind for step in history][-1] == "acknowledged"

        # A critical alert arriving live: the agent stops, the controller
        # opens agent.offline and pushes it; the console flashes it.
        assert app.stream is not None
        await until(camera, lambda: app.ctx.link.live is True)
        await agent.stop()
        await until(camera, lambda: any(
            a.finding is not None and a.finding.rule == "agent.offline" for a in app.alerts.items
        ))
        assert any(n.title == "✖ CRITICAL finding" for n in app._notifications)
        await pilot.press("a")
        alerts = await on(pilot, AlertsScreen)
        kinds = set(
            str(getattr(c, "plain", c))
            for k in alerts.query_one("#alerts", KeyedTable).rows
            for c in [alerts.query_one("#alerts", KeyedTable).get_cell(k, "what")]
        )
        assert {"● NEW", "◐ acknowledged"} <= kinds

        # The controller goes away: red status line, data kept; it comes
        # back on the same port: the console reconnects by itself.
        await pilot.press("escape")
        camera = await on(pilot, CameraScreen)
        await controller.stop()
        await until(camera, lambda: not app.ctx.link.healthy)
        await pilot.pause()
        assert camera.query_one(StatusLine).text.startswith(f"✖ controller unreachable at {url}")
        assert camera.query_one("#findings", KeyedTable).row_count >= 1
        controller = _controller(tmp_path, mosquitto.port, api_port)
        await controller.start()
        await until(camera, lambda: app.ctx.link.healthy and app.ctx.link.live is True)
        await pilot.pause()
        assert "● live" in camera.query_one(StatusLine).text
    return controller
