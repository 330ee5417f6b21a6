"""The key bar: one recompose per burst of binding changes, and the keys
it shows still follow the screen and the focus."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_console_app import loaded
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from tui.app import CamwardenApp
from tui.screens.fleet import FleetScreen
from tui.screens.site import SiteScreen
from tui.widgets.key_footer import KeyFooter

MakeApp = Callable[..., CamwardenApp]


def keys_shown(pilot: Pilot[int]) -> set[str]:
    footer = pilot.app.screen.query_one(KeyFooter)
    return {key.description for key in footer.query(FooterKey)}


async def test_opening_the_fleet_composes_the_footer_once(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    recomposes = 0
    recompose = KeyFooter.recompose

    async def counted(self: KeyFooter) -> None:
        nonlocal recomposes
        recomposes += 1
        await recompose(self)

    monkeypatch.setattr(KeyFooter, "recompose", counted)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        # Pushed, then the table focused (its keys are not shown): Textual's Footer did five.
        assert recomposes == 1
        assert {"Open site", "Filter", "Sort", "Quit"} <= keys_shown(pilot)


async def test_the_footer_follows_the_screen_and_the_focus(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("slash")  # the filter box: Escape means back to the table
        await pilot.pause()
        assert "Back to the table" in keys_shown(pilot)
        await pilot.press("escape", "enter")
        await loaded(pilot, SiteScreen)
        shown = keys_shown(pilot)
        assert {"Open camera", "Back"} <= shown
        assert "Sort" not in shown


async def test_keys_are_made_in_their_final_style_and_not_restyled_on_mount(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    changes: list[str] = []
    set_class = FooterKey.set_class

    def counted(self: FooterKey, add: bool, *names: str, update: bool = True) -> FooterKey:
        before = self.has_class(*names)
        result = set_class(self, add, *names, update=update)
        if update and self.has_class(*names) != before:
            changes.append(self.description)
        return result

    monkeypatch.setattr(FooterKey, "set_class", counted)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        footer = pilot.app.screen.query_one(KeyFooter)
        keys = list(footer.query(FooterKey))
        assert {"Open site", "Filter", "Sort", "Quit"} <= {key.description for key in keys}
        for key in keys:
            assert key.has_class("-compact") == key.compact
        assert changes == [], "each key was made with the class it keeps"
