"""The collector paused while a screen loads: nested and overlapping
pauses counted, restored on failure, left off when someone else turned it off."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tui.heap import collection_paused


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
