"""What the fleet, site and camera screens share: loading and its status.

A screen loads its data in a worker (``request_reload``); a refresh that
arrives while a load is running is dropped, not queued, so a slow
controller never piles up requests. A load that fails keeps the data on
screen and says so on the status line; it never raises into Textual.
Tests wait for a load with ``wait_until`` (a condition, not a sleep).

Live changes from the event stream arrive through ``apply_change``: each
screen updates the rows they touch, in place, and fetches at most the one
object the change names. ``changes`` counts changes applied, for the same
kind of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from textual.geometry import Size
from textual.screen import Screen

from schemas.api import ChangeEvent
from tui.client import ControllerError
from tui.context import ConsoleContext
from tui.heap import collection_paused
from tui.messages import LinkChanged
from tui.widgets.status_line import StatusLine

PAINT_WAIT_S = 0.5
"""The longest a load waits for its frame (see ``DataScreen._painted``)."""


class DataScreen(Screen[None]):
    def __init__(self, ctx: ConsoleContext, *, start_up: bool = False) -> None:
        """``start_up``: the console's first screen in a process of its own
        (``camwarden tui``): its first load ends the start-up and settles
        the heap (``tui.heap``)."""
        super().__init__()
        self.ctx = ctx
        self.start_up = start_up
        self.loads = 0
        """Finished load attempts, successful or not."""
        self.changes = 0
        """Live changes applied (see ``apply_change``)."""
        self.progress = ""
        """How far a load is, for the status line (e.g. ``loading 200 /
        5,000 cameras…``); empty when there is nothing to say."""
        self._loading = False
        self._finished = asyncio.Condition()

    async def load(self) -> None:
        """Fetch this screen's data through ``self.ctx.api`` and show it.
        Raises ControllerError when the controller fails."""
        raise NotImplementedError

    def on_mount(self) -> None:
        self.request_reload()

    def _screen_resized(self, size: Size) -> None:
        """Textual's: a lay-out at the terminal's new size. But a screen's
        first lay-out posts a ``Resize`` to the screen itself, at the size it
        was just laid out at, and that lays it out again, and every screen
        under it too: two lay-outs with full repaints for nothing, ~5 ms of
        a site's open on two shared cores (issue 6). A screen already laid
        out at ``size`` is left as it is (a change waiting for a lay-out
        gets it from its own refresh, as always)."""
        if size != self._size:
            super()._screen_resized(size)

    def apply_change(self, change: ChangeEvent) -> None:
        """Show one live change; the default ignores it. A screen that must
        fetch something for it does so in a worker and calls ``changed()``
        when the change is on screen."""

    async def progressed(self) -> None:
        """Wake ``wait_until`` in the middle of a load (a first page shown)."""
        async with self._finished:
            self._finished.notify_all()

    async def changed(self) -> None:
        """Count a live change as applied and wake ``wait_until``."""
        async with self._finished:
            self.changes += 1
            self._finished.notify_all()

    def fail_quietly(self, exc: ControllerError) -> None:
        """A live update's fetch failed: the link says so; the next load
        or change repairs the row."""
        self.ctx.link.failed(str(exc))
        self.show_status()

    def on_screen_resume(self) -> None:
        self.show_status()

    def request_reload(self) -> None:
        """Start a load unless one is running."""
        if self._loading:
            return
        self._loading = True
        self.run_worker(self._reload(), group="load", exit_on_error=False)

    async def _reload(self) -> None:
        link = self.ctx.link
        was_healthy = link.healthy
        try:
            # Thousands of rows made: see tui.heap.
            with collection_paused(settles=self.loads == 0 and self.start_up):
                await self.load()
                await self._painted()
        except ControllerError as exc:
            link.failed(str(exc))
        else:
            link.succeeded(self.ctx.now())
        finally:
            self._loading = False
            self.show_status()
            if link.healthy != was_healthy:
                text, _ = link.status(self.ctx.now())
                self.post_message(LinkChanged(link.healthy, text))
            async with self._finished:
                self.loads += 1
                self._finished.notify_all()

    async def _painted(self) -> None:
        """Wait for the frame that shows what the load put on screen, so
        that the collection of what it made (one walk of everything new,
        10-25 ms for a 5,000-camera site on two shared cores) comes after
        that frame instead of before it. The load is counted finished only
        after the collection (``loads``): what waits on it, such as a
        filter applied once the list is in, does not pay for it. Bounded:
        a screen that is never refreshed (gone) does not hold the load."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PAINT_WAIT_S):
                await self.wait_for_refresh()

    def show_status(self) -> None:
        text, bad = self.ctx.link.status(self.ctx.now())
        if self.progress:
            text = f"{text} · {self.progress}"
        for line in self.query(StatusLine):  # none while the screen is torn down
            line.show(text, bad)

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition()`` holds, checking after every load and
        every live change applied. Bound
        it with ``asyncio.timeout``: this waits as long as it takes."""
        async with self._finished:
            await self._finished.wait_for(condition)

    async def wait_loaded(self, at_least: int = 1) -> None:
        """Wait until ``at_least`` loads have finished (see ``wait_until``)."""
        await self.wait_until(lambda: self.loads >= at_least)
