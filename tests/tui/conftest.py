"""Fixtures for the console's tests: a fixed fleet behind a real aiohttp
server on loopback (``fake_api.FakeController``) and an app pointed at it
with a frozen clock, UTC display and periodic refresh off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC

import pytest
from console_fleet import NOW, FleetData, build_fleet
from fake_api import FakeController

from tui.app import CamwardenApp

MakeApp = Callable[..., CamwardenApp]
"""(Test modules spell this alias themselves: two conftest modules cannot
both be imported as ``conftest``.)"""


@pytest.fixture
def fleet_data() -> FleetData:
    return build_fleet()


@pytest.fixture
def controller(fleet_data: FleetData) -> Iterator[FakeController]:
    fake = FakeController(fleet_data)
    fake.start()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def make_app(controller: FakeController) -> MakeApp:
    """``make_app(**overrides)``: a console on the fake controller, "now"
    frozen at ``console_fleet.NOW``, not following the event stream unless
    ``live=True``."""

    def make(**overrides: object) -> CamwardenApp:
        options: dict[str, object] = {
            "refresh_seconds": 0,
            "clock": lambda: NOW,
            "display_tz": UTC,
            "live": False,
        }
        options.update(overrides)
        return CamwardenApp(controller.url, **options)  # type: ignore[arg-type]

    return make
