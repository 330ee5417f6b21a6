"""The key bar: one widget, one line; a change of bindings repaints it and
never lays the screen out; its keys follow the screen and the focus, and
the mouse presses them. (That it looks as Textual's ``Footer`` does is
the snapshots' job: they were not changed when it replaced ``Footer``.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import pytest
from test_console_app import loaded
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.pilot import Pilot
from textual.widget import Widget

from tui.app import CamwardenApp
from tui.screens.fleet import FleetScreen
from tui.screens.help import HelpScreen
from tui.screens.site import SiteScreen
from tui.widgets.key_footer import KeyFooter

MakeApp = Callable[..., CamwardenApp]


def descriptions(pilot: Pilot[int] | Pilot[None]) -> list[str]:
    return [key.description for key in pilot.app.screen.query_one(KeyFooter).keys]


def column_of(footer: KeyFooter, description: str) -> int:
    """A column where the key with ``description`` is drawn."""
    for x in range(footer.size.width):
        key = footer.key_at(x)
        if key is not None and key.description == description:
            return x
    raise AssertionError(f"{description!r} is not drawn: {footer.keys}")


async def test_bindings_changing_repaint_the_bar_and_lay_nothing_out(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshes: list[bool] = []
    refresh = Widget.refresh

    def counted(self: Widget, *regions: object, layout: bool = False, **options: bool) -> Widget:
        if isinstance(self, KeyFooter):
            refreshes.append(layout or options.get("recompose", False))
        return refresh(self, *regions, layout=layout, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(Widget, "refresh", counted)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        footer = app.screen.query_one(KeyFooter)
        assert not footer.children, "no widget per key"
        assert {"Open site", "Filter", "Sort", "Fleet"} <= set(descriptions(pilot))
        before = len(refreshes)
        await pilot.press("slash")  # the filter box: its Escape is shown
        await pilot.pause()
        assert "Back to the table" in descriptions(pilot)
        assert len(refreshes) > before, "the bar was repainted for its new keys"
        assert not any(refreshes[before:]), "no refresh of the bar asked for a lay-out"


async def test_the_keys_follow_the_screen_and_the_focus(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        await pilot.press("slash")
        await pilot.pause()
        assert "Back to the table" in descriptions(pilot)
        await pilot.press("escape", "enter")
        await loaded(pilot, SiteScreen)
        shown = descriptions(pilot)
        assert {"Open camera", "Back"} <= set(shown)
        assert "Sort" not in shown
        assert shown[-1] == "palette", "the command palette's key comes last"


async def test_a_key_pressed_with_the_mouse_runs_its_binding(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await loaded(pilot, FleetScreen)
        footer = app.screen.query_one(KeyFooter)
        x = column_of(footer, "Help")
        assert await pilot.mouse_down(KeyFooter, offset=(x, 0))
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


class Bar(App[None]):
    """A bar alone, with a disabled key and more keys than 30 columns hold."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "ring", "Cannot", tooltip="not now"),
        *(Binding(letter, f"note('{letter}')", f"Key {letter}") for letter in "bcdefgh"),
    ]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self) -> None:
        super().__init__()
        self.noted: list[str] = []
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "ring" else True  # None: shown, disabled

    def action_note(self, letter: str) -> None:
        self.noted.append(letter)

    def bell(self) -> None:
        self.bells += 1


async def test_a_disabled_key_is_dim_and_rings_the_bell() -> None:
    app = Bar()
    async with app.run_test(size=(30, 3)) as pilot:
        footer = app.query_one(KeyFooter)
        await pilot.pause()
        first = footer.keys[0]
        assert (first.description, first.enabled) == ("Cannot", False)
        strip = footer.render_line(0)
        assert any(segment.style is not None and segment.style.dim
                   for segment in strip if "Cannot" in segment.text)
        await pilot.mouse_down(KeyFooter, offset=(column_of(footer, "Cannot"), 0))
        await pilot.pause()
        assert app.bells == 1
        await pilot.hover(KeyFooter, offset=(column_of(footer, "Cannot"), 0))
        await pilot.pause()
        assert footer.tooltip == "not now"


async def test_a_narrow_bar_scrolls_its_keys_with_the_wheel() -> None:
    app = Bar()
    async with app.run_test(size=(30, 3)) as pilot:
        footer = app.query_one(KeyFooter)
        await pilot.pause()
        drawn = {key.description for x in range(30) if (key := footer.key_at(x)) is not None}
        assert "Key h" not in drawn, "the last keys do not fit in 30 columns"
        for _ in range(30):  # past the end: it stops at the last key
            footer.post_message(events.MouseScrollDown(footer, 5, 0, 0, 1, 0, False, False, False))
        await pilot.pause()
        x = column_of(footer, "Key h")
        assert footer.key_at(29) is not None and footer.key_at(29) == footer.keys[-1]
        await pilot.mouse_down(KeyFooter, offset=(x, 0))
        await pilot.pause()
        assert app.noted == ["h"]
