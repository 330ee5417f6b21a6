"""A site's camera rows: made only for the lines drawn, in columns as wide
as the cells they would make (measured from the cameras' fields)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from console_fleet import MAIN
from fake_api import FakeController
from rich.text import Text

from schemas.api import CameraView, SeverityCounts
from tui.app import CamwardenApp
from tui.screens import site
from tui.screens.fleet import FleetScreen
from tui.screens.site import SiteScreen, camera_cells, camera_widths
from tui.widgets.keyed_rows import KeyedRows
from tui.widgets.keyed_table import KeyedTable

MakeApp = Callable[..., CamwardenApp]


def camera(**fields: object) -> CameraView:
    values: dict[str, object] = {
        "site_id": MAIN, "key": "cam-1", "camera_id": "cam-1", "name": "Lobby",
        "location": "ground floor", "coverage": "lobby", "declared": True,
        "state": "compliant", "manufacturer": "Axis", "model": "P3245", "firmware": "10.12",
    }
    values.update(fields)
    return CameraView.model_validate(values)


CAMERAS = [
    pytest.param(camera(), id="declared"),
    pytest.param(camera(key="10.0.0.9:80", camera_id=None, name="", declared=False,
                        state="undeclared", address="10.0.0.9:80"), id="undeclared-unnamed"),
    pytest.param(camera(key="10.0.0.9:80", camera_id=None, name="rogue", declared=False,
                        state="undeclared", address="10.0.0.9:80"), id="undeclared-address"),
    pytest.param(camera(state="missing", manufacturer=None, model=None, firmware=None,
                        location=""), id="missing-no-facts"),
    pytest.param(camera(name="로비 카메라", location="1층 로비", model=None), id="wide-korean"),
    pytest.param(camera(state="findings", findings_open=SeverityCounts(critical=12, info=3)),
                 id="findings-counts"),
    pytest.param(camera(name="two\nlines", firmware="a\x1bb"), id="line-break-control"),
]


@pytest.mark.parametrize("shown", CAMERAS)
def test_widths_from_the_fields_are_the_widths_of_the_cells(shown: CameraView) -> None:
    rows = KeyedRows([""] * 7)
    rows.store((shown.key, camera_cells(shown)))
    rows.lay_out([shown.key])
    assert camera_widths([shown]) == tuple(rows.widths)


def test_widths_of_many_are_the_widest_of_each() -> None:
    many = [param.values[0] for param in CAMERAS]
    each = [camera_widths([one]) for one in many]
    assert camera_widths(many) == tuple(map(max, zip(*each, strict=True)))
    assert camera_widths([]) == (0,) * 7


def test_undeclared_and_missing_are_marked_on_the_name_as_well() -> None:
    rogue = camera(key="10.0.0.9:80", camera_id=None, name="rogue", declared=False,
                   state="undeclared", address="10.0.0.9:80")
    name = camera_cells(rogue)[0]
    assert isinstance(name, Text)
    assert name.plain == "✚ rogue 10.0.0.9:80"
    assert camera_cells(camera(state="missing"))[0] == Text("? Lobby", style="bold yellow")
    assert camera_cells(camera())[0] == "Lobby"  # plain: bold is the column's style


async def test_a_big_site_makes_cells_only_for_the_rows_in_view(
    make_app: MakeApp, controller: FakeController, monkeypatch: pytest.MonkeyPatch,
) -> None:
    controller.data.cameras = {**controller.data.cameras, MAIN: tuple(
        camera(key=f"cam-{i:04d}", camera_id=f"cam-{i:04d}", name=f"Cam {i}")
        for i in range(1000))}
    made: list[str] = []

    def counted(shown: CameraView) -> tuple[object, ...]:
        made.append(shown.key)
        return camera_cells(shown)

    monkeypatch.setattr(site, "camera_cells", counted)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        async with asyncio.timeout(5.0):
            fleet = app.screen
            assert isinstance(fleet, FleetScreen)
            await fleet.wait_loaded()
            await pilot.press("enter")
            while not isinstance(app.screen, SiteScreen):
                await pilot.pause()
            screen = app.screen
            await screen.wait_until(lambda: screen.complete)
            await screen.wait_loaded()
        await pilot.pause()
        table = screen.query_one("#cameras", KeyedTable)
        assert table.row_count == 1000
        in_view = table.scrollable_content_region.height - 1  # less the header
        assert 0 < len(set(made)) <= in_view, f"{len(set(made))} rows made for {in_view} lines"
        assert set(made) <= {f"cam-{i:04d}" for i in range(in_view)}
