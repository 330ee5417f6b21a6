"""SVG snapshots of the three main screens at 100×30, with the fixed fleet
and "now" frozen, through a stable controller URL (resolved to the fake on
loopback) so that nothing in the picture changes between runs.

Regenerate after an intended change of the console's look with
``pytest tests/tui/test_console_snapshots.py --snapshot-update`` and review
the SVGs before committing them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import TypeVar

from console_fleet import NOW
from fake_api import STABLE_URL, FakeController
from textual.pilot import Pilot

from tui.app import CamwardenApp
from tui.client import ApiClient
from tui.screens.base import DataScreen
from tui.screens.camera import CameraScreen
from tui.screens.fleet import FleetScreen
from tui.screens.policy import PolicyScreen
from tui.screens.site import SiteScreen

SIZE = (100, 30)
S = TypeVar("S", bound=DataScreen)
SnapCompare = Callable[..., bool]


def console(controller: FakeController) -> CamwardenApp:
    client = ApiClient(STABLE_URL, session_factory=controller.session_factory)
    return CamwardenApp(
        STABLE_URL, client=client, refresh_seconds=0, clock=lambda: NOW, display_tz=UTC,
        live=False,
    )


async def settle(pilot: Pilot[int], kind: type[S]) -> None:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, kind), f"expected {kind.__name__}, on {type(screen).__name__}"
    async with asyncio.timeout(5):
        await screen.wait_loaded()
    await pilot.pause()


def navigate(*steps: tuple[tuple[str, ...], type[DataScreen]]) -> Callable[
    [Pilot[int]], Awaitable[None]
]:
    """Wait for the fleet, then for each step press its keys and wait for its screen."""

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot, FleetScreen)
        for keys, kind in steps:
            await pilot.press(*keys)
            await settle(pilot, kind)

    return run_before


def test_fleet_screen(snap_compare: SnapCompare, controller: FakeController) -> None:
    assert snap_compare(console(controller), terminal_size=SIZE, run_before=navigate())


def test_site_screen(snap_compare: SnapCompare, controller: FakeController) -> None:
    assert snap_compare(
        console(controller), terminal_size=SIZE, run_before=navigate((("enter",), SiteScreen))
    )


def test_camera_screen(snap_compare: SnapCompare, controller: FakeController) -> None:
    run_before = navigate((("enter",), SiteScreen), (("down", "enter"), CameraScreen))
    assert snap_compare(console(controller), terminal_size=SIZE, run_before=run_before)


def test_policy_screen(snap_compare: SnapCompare, controller: FakeController) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot, FleetScreen)
        await pilot.press("p")
        await settle(pilot, PolicyScreen)

    assert snap_compare(console(controller), terminal_size=SIZE, run_before=run_before)


def test_fleet_screen_at_80_by_24(snap_compare: SnapCompare, controller: FakeController) -> None:
    assert snap_compare(console(controller), terminal_size=(80, 24), run_before=navigate())
