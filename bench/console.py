"""How fast the console opens and filters big sites and fleets.

Headless (``App.run_test``) against the console tests' stand-in controller
(a real aiohttp server on 127.0.0.1, pages of 200 as the console asks). The
stand-in runs in a process of its own, as a controller does: the console's
process holds only the console (its heap is what its garbage collector
walks), and the server's JSON encoding does not share its interpreter.

- fleet of 2,000 sites: from start to the fleet table filled;
- site of 5,000 cameras: from Enter on the fleet to the first page on
  screen, and to all 5,000 rows;
- a filter at 5,000 cameras: one that keeps a few rows, one that keeps them all;

and, as the peer in the same run, Textual's stock ``DataTable`` filled with
the same 5,000 rows (it sizes columns by measuring every cell through Rich
and keeps per-row bookkeeping; ``KeyedTable`` is a Line API table that
stores rows with their ``cell_len`` widths and renders only the lines in
view).

Goal: under 200 ms for what the operator waits on. Not a pass/fail test.
Run: ``.venv/bin/python bench/console.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "tui"))

from console_fleet import NOW, FleetData, build_fleet
from fake_api import FakeController
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from schemas.api import CameraView, SeverityCounts
from tui.app import CamwardenApp, settle_heap
from tui.messages import SiteChosen
from tui.screens.fleet import FleetScreen
from tui.screens.site import SiteScreen, camera_cells
from tui.widgets.filter_box import FilterBox
from tui.widgets.keyed_table import KeyedTable

SIZE = (120, 40)
BIG_SITE = "bench-big"
STATES = ("compliant", "compliant", "compliant", "findings", "unknown", "missing", "undeclared")
GOAL_MS = 200.0


def big_data(sites: int, cameras: int) -> FleetData:
    """The test fleet plus ``sites`` sites, the first with ``cameras`` cameras."""
    data = build_fleet()
    template = data.sites[0]
    extra = tuple(
        template.model_copy(update={
            "site_id": BIG_SITE if i == 0 else f"bench-site-{i:05d}", "name": f"site {i:05d}",
            "findings_open": SeverityCounts(critical=i % 3, warning=i % 5),
            "agent_online": i % 7 != 0,
        })
        for i in range(sites - len(data.sites))
    )
    data.sites = extra + data.sites
    data.cameras = dict(data.cameras)
    data.cameras[BIG_SITE] = tuple(
        CameraView(
            site_id=BIG_SITE, key=f"cam-{i:05d}", camera_id=f"cam-{i:05d}", name=f"Cam {i}",
            location=f"floor {i % 40} corridor {i % 17}", coverage="corridor", declared=True,
            state=STATES[i % len(STATES)], address=f"127.0.0.1:{20000 + i}",  # type: ignore[arg-type]
            manufacturer="Hanwha" if i % 2 else "Axis", model="XNV-8080R", firmware="2.21.01",
            last_seen=NOW - timedelta(seconds=40),
            findings_open=SeverityCounts(warning=1) if i % len(STATES) == 3 else SeverityCounts(),
        )
        for i in range(cameras)
    )
    data.fleet = data.fleet.model_copy(update={"sites": sites})
    return data


class Frames:
    """The moment of the first frame painted in which ``want`` holds.

    Wraps the app's ``_display``, which the screen's update timer calls with
    each frame it has composed (headless, it is not encoded for a terminal).
    The bench awaits the frame instead of polling with ``pilot.pause()``,
    whose idle wait sleeps in 20 ms steps and so added up to ~40 ms to the
    figures that ended with it.
    """

    def __init__(self, app: App[Any]) -> None:
        self._want: Callable[[], bool] | None = None
        self._painted = asyncio.Event()
        self.at = 0.0
        display = app._display

        def _display(screen: object, renderable: object) -> None:
            display(screen, renderable)  # type: ignore[arg-type]
            if renderable is not None and self._want is not None and self._want():
                self.at = time.perf_counter()
                self._want = None
                self._painted.set()

        app._display = _display  # type: ignore[method-assign]

    def expect(self, want: Callable[[], bool]) -> None:
        """Watch for ``want``; call before the action that should paint it."""
        self._painted.clear()
        self._want = want

    async def painted(self, since: float) -> float:
        """Milliseconds from ``since`` to the frame that showed what was expected
        (gives up after 30 s)."""
        async with asyncio.timeout(30.0):
            await self._painted.wait()
        return (self.at - since) * 1e3


async def timed(run: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await run()
    return (time.perf_counter() - start) * 1000.0


async def console_round(url: str, cameras_wanted: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    settle_heap()  # what `camwarden tui` does before its first frame, like the imports not timed
    app = CamwardenApp(url, refresh_seconds=0, clock=lambda: NOW, display_tz=UTC,
                       live=False, settle_start_up=True)  # as `camwarden tui`
    frames = Frames(app)

    def fleet_filled() -> bool:
        screen = app.screen
        return isinstance(screen, FleetScreen) and bool(screen.sites) and (
            screen.query_one("#sites", KeyedTable).row_count == len(screen.sites))

    frames.expect(fleet_filled)
    start = time.perf_counter()
    async with app.run_test(size=SIZE):
        figures["fleet of 2,000 sites: start to table filled"] = await frames.painted(start)
        fleet = app.screen
        assert isinstance(fleet, FleetScreen)
        assert fleet.query_one("#sites", KeyedTable).row_count == len(fleet.sites)
        start = time.perf_counter()
        app.post_message(SiteChosen(BIG_SITE))  # what Enter on its row sends
        while not isinstance(app.screen, SiteScreen):  # noqa: ASYNC110 (a frame, not a wait)
            await asyncio.sleep(0.001)
        site = app.screen
        cameras = site.query_one("#cameras", KeyedTable)
        await site.wait_until(lambda: cameras.row_count > 0)
        figures["site of 5,000: Enter to first page in the table"] = (
            time.perf_counter() - start) * 1e3
        frames.expect(lambda: site.complete)
        await site.wait_until(lambda: site.complete)
        figures["site of 5,000: Enter to all rows in the table"] = (
            time.perf_counter() - start) * 1e3
        figures["site of 5,000: Enter to all rows drawn"] = await frames.painted(start)
        await site.wait_loaded()
        assert cameras.row_count == cameras_wanted

        box = site.query_one(FilterBox)
        missing = sum(1 for i in range(cameras_wanted) if STATES[i % len(STATES)] == "missing")
        for label, query, shown in (("keeps 714 rows", "state:missing", missing),
                                    ("keeps all", "corridor", cameras_wanted),
                                    ("cleared", "", cameras_wanted)):
            frames.expect(lambda query=query, shown=shown: (  # type: ignore[misc]
                site.filter_text == query and cameras.row_count == shown))
            start = time.perf_counter()
            box.value = query
            figures[f"filter at 5,000 ({label})"] = await frames.painted(start)
    return figures


class Peer(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="stock")
        yield KeyedTable([(f"c{i}", f"c{i}") for i in range(7)], id="keyed",
                         styles={"c0": "bold", "c6": "dim"})  # as the site screen's


async def table_round(cameras: tuple[CameraView, ...]) -> dict[str, float]:
    rows = [(c.key, camera_cells(c)) for c in cameras]
    figures: dict[str, float] = {}
    async with Peer().run_test(size=SIZE) as pilot:
        stock = pilot.app.query_one("#stock", DataTable)
        for i in range(7):
            stock.add_column(f"c{i}", key=f"c{i}")

        async def fill_stock() -> None:
            for key, cells in rows:
                stock.add_row(*cells, key=key)
            await pilot.pause()

        async def fill_keyed() -> None:
            pilot.app.query_one("#keyed", KeyedTable).sync(rows)
            await pilot.pause()

        figures["peer: stock DataTable, 5,000 rows added and drawn"] = await timed(fill_stock)
        figures["ours: KeyedTable, 5,000 rows added and drawn"] = await timed(fill_keyed)
    return figures


def serve(sites: int, cameras: int, conn: Connection) -> None:
    """The stand-in controller's process: serve until told to stop."""
    fake = FakeController(big_data(sites, cameras))
    fake.start()
    try:
        conn.send(fake.url)
        conn.recv()
    finally:
        fake.close()


async def main(repeat: int) -> None:
    sites, cameras = 2000, 5000
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(sites, cameras, theirs), daemon=True)
    server.start()
    runs: dict[str, list[float]] = {}
    try:
        url = ours.recv()
        peer_cameras = big_data(1, cameras).cameras[BIG_SITE]
        for _ in range(repeat):
            rounds = (await console_round(url, cameras), await table_round(peer_cameras))
            for figures in rounds:
                for name, ms in figures.items():
                    runs.setdefault(name, []).append(ms)
    finally:
        ours.send("stop")
        server.join(timeout=10)
    width = max(len(name) for name in runs)
    print(f"{'measure':<{width}}  {'median ms':>9}  {'min ms':>7}  {'max ms':>7}  goal {GOAL_MS:g}")
    for name, values in runs.items():
        median = statistics.median(values)
        mark = "" if name.startswith(("peer", "ours")) else ("✔" if median < GOAL_MS else "✖")
        print(f"{name:<{width}}  {median:>9.0f}  {min(values):>7.0f}  {max(values):>7.0f}  {mark}")
    print(f"({repeat} run(s); {sites} sites, {cameras} cameras; "
          f"terminal {SIZE[0]}×{SIZE[1]})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(parser.parse_args().repeat))
