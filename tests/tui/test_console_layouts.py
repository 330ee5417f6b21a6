"""Lay-outs the console no longer asks for while a screen opens (issue 6):
the header's title repaints, a screen's Resize to itself at the size it
was laid out at lays nothing out again, and a real resize still does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_console_app import loaded
from textual.screen import Screen
from textual.widgets import Static

from tui.app import CamwardenApp
from tui.screens.fleet import FleetScreen
from tui.screens.site import SiteScreen
from tui.widgets.console_header import FixedTitle
from tui.widgets.keyed_table import KeyedTable

MakeApp = Callable[..., CamwardenApp]


async def test_the_title_is_shown_without_laying_the_screen_out(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[bool] = []
    """``layout`` of each update that reached Textual's ``Static.update``."""
    update = Static.update

    def counted(self: Static, content: object = "", *, layout: bool = True) -> None:
        if isinstance(self, FixedTitle):
            asked.append(layout)
        update(self, content, layout=layout)  # type: ignore[arg-type]

    monkeypatch.setattr(Static, "update", counted)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        title = app.screen.query_one(FixedTitle)
        assert "camwarden" in str(title.render())
        assert app.sub_title and app.sub_title in str(title.render())
        updates = len(asked)
        assert updates == 1, "four watchers set the same title on mount: drawn once"
        app.sub_title = "elsewhere"
        await pilot.pause()
        assert "elsewhere" in str(title.render())
        assert len(asked) > updates, "a new title is repainted"
        assert len(asked) == updates + 1
        assert not any(asked), "no update asked for a lay-out"


async def test_opening_a_site_lays_out_neither_it_twice_nor_the_fleet_under_it(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    layouts: list[str] = []
    refresh_layout = Screen._refresh_layout

    def counted(self: Screen[object], size: object = None, scroll: bool = False) -> None:
        layouts.append(type(self).__name__)
        refresh_layout(self, size, scroll)  # type: ignore[arg-type]

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        monkeypatch.setattr(Screen, "_refresh_layout", counted)
        await pilot.press("enter")
        site = await loaded(pilot, SiteScreen)
        assert site.query_one("#cameras", KeyedTable).row_count > 0
        assert "FleetScreen" not in layouts, "the fleet under the site was not laid out"
        first = len(layouts)
        await pilot.resize_terminal(120, 36)  # a real resize: both laid out at the new size
        await pilot.pause()
        assert len(layouts) > first
        assert "FleetScreen" in layouts[first:]
        assert site.size.width == 120
        assert site.query_one("#cameras", KeyedTable).size.width == 120
