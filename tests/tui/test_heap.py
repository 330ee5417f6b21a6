"""The collector paused while a screen loads: nested and overlapping
pauses counted, restored on failure, left off when someone else turned it off;
a screen's pause ends once its loaded screen is painted, or when it goes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator

import pytest

from tui.app import CamwardenApp
from tui.heap import Pause, collection_paused
from tui.screens.base import DataScreen
from tui.screens.fleet import FleetScreen

WAIT_S = 5.0
MakeApp = Callable[..., CamwardenApp]


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_collector_runs_again_when_the_last_pause_ends() -> None:
    first, second = collection_paused(), collection_paused()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    first.__exit__(None, None, None)  # overlapping, not nested: the fleet and a site at once
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_failed_load_turns_the_collector_back_on() -> None:
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("the controller went away")
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off() -> None:
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()


def test_a_pause_that_settles_freezes_what_exists_when_the_last_pause_ends() -> None:
    frozen = gc.get_freeze_count()
    try:
        with collection_paused():
            with collection_paused(settles=True):
                pass
            assert gc.get_freeze_count() <= frozen  # the other pause still runs
            kept = [[index] for index in range(100)]  # lists: tracked by the collector
        settled = gc.get_freeze_count()
        assert settled >= frozen + len(kept)
        with collection_paused():
            later = [[index] for index in range(100)]
        # a later pause settles nothing: what it made is not frozen (the count
        # may also fall, as frozen objects are freed by reference counting)
        assert gc.get_freeze_count() < settled + len(later)
    finally:
        gc.unfreeze()


def test_a_pause_ended_twice_ends_once() -> None:
    first, second = Pause(), Pause()
    first.end()
    first.end()
    assert not gc.isenabled()  # the second pause still holds it
    second.end()
    assert gc.isenabled()


async def test_a_load_keeps_the_collector_paused_until_its_screen_is_painted(
        make_app: MakeApp) -> None:
    app = make_app()
    painted_with_collector: list[bool] = []
    display = app._display

    def _display(screen: object, renderable: object) -> None:
        display(screen, renderable)  # type: ignore[arg-type]
        current = app.screen
        if (renderable is not None and isinstance(current, DataScreen) and current.loads
                and not painted_with_collector):
            painted_with_collector.append(gc.isenabled())

    app._display = _display  # type: ignore[method-assign]
    async with app.run_test() as pilot:
        async with asyncio.timeout(WAIT_S):
            while not painted_with_collector:
                await pilot.pause()
        assert painted_with_collector == [False]
        await pilot.pause()
        assert gc.isenabled()


async def test_an_app_closed_right_after_a_load_turns_the_collector_back_on(
        make_app: MakeApp) -> None:
    async with make_app().run_test() as pilot:
        fleet = pilot.app.screen
        assert isinstance(fleet, FleetScreen)
        async with asyncio.timeout(WAIT_S):
            await fleet.wait_loaded()
    assert gc.isenabled()
