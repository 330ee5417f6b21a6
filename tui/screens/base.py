"""What the fleet, site and camera screens share: loading and its status.

A screen loads its data in a worker (``request_reload``); a refresh that
arrives while a load is running is dropped, not queued, so a slow
controller never piles up requests. A load that fails keeps the data on
screen and says so on the status line; it never raises into Textual.
Tests wait for a load with ``wait_until`` (a condition, not a sleep).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.screen import Screen

from tui.client import ControllerError
from tui.context import ConsoleContext
from tui.messages import LinkChanged
from tui.widgets.status_line import StatusLine


class DataScreen(Screen[None]):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.loads = 0
        """Finished load attempts, successful or not."""
        self._loading = False
        self._finished = asyncio.Condition()

    async def load(self) -> None:
        """Fetch this screen's data through ``self.ctx.api`` and show it.
        Raises ControllerError when the controller fails."""
        raise NotImplementedError

    def on_mount(self) -> None:
        self.request_reload()

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
            await self.load()
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

    def show_status(self) -> None:
        text, bad = self.ctx.link.status(self.ctx.now())
        for line in self.query(StatusLine):  # none while the screen is torn down
            line.show(text, bad)

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition()`` holds, checking after every load. Bound
        it with ``asyncio.timeout``: this waits as long as it takes."""
        async with self._finished:
            await self._finished.wait_for(condition)

    async def wait_loaded(self, at_least: int = 1) -> None:
        """Wait until ``at_least`` loads have finished (see ``wait_until``)."""
        await self.wait_until(lambda: self.loads >= at_least)
