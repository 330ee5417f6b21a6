"""One site: its cameras, declared and found, how each stands; a filter by
rule, state or any shown word."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Iterable, Sequence
from operator import attrgetter
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from schemas.api import CameraView, ChangeEvent, Page, SeverityCounts, SiteView
from tui.client import DEFAULT_PAGE, MAX_ROWS, ControllerError, pages_after
from tui.context import ConsoleContext
from tui.filtering import matches, query_words, terms
from tui.format import STATE_MARK, counts_cell, state_cell
from tui.messages import CameraChosen
from tui.screens.base import DataScreen
from tui.widgets.console_header import ConsoleHeader
from tui.widgets.filter_box import FilterBox
from tui.widgets.key_footer import KeyFooter
from tui.widgets.keyed_rows import text_width
from tui.widgets.keyed_table import Cell, KeyedTable
from tui.widgets.site_summary import SiteSummary
from tui.widgets.status_line import StatusLine

CAMERA_COLUMNS = (
    ("camera", "Camera"),
    ("state", "State"),
    ("findings", "Open ✖/▲/ℹ"),
    ("location", "Location"),
    ("device", "Vendor / model"),
    ("firmware", "Firmware"),
    ("id", "Camera id"),
)
"""State and findings come before the wide columns, and the (long) camera
id last, so that what needs attention stays in view at 80 columns."""

CAMERA_STYLES = {"camera": "bold", "id": "dim"}
"""How the plain-string cells of these columns are drawn (``camera_cells``)."""

NAME_MARKS = {"undeclared": ("✚ ", "bold red"), "missing": ("? ", "bold yellow")}
"""The states carried on the name too, in capitals' stead: mark, style."""

FILTER_HINT = "/ filter: state:missing, rule:audio, lobby, hanwha…"


class SiteScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_camera", "Open camera", priority=True),
        Binding("slash", "focus_filter", "Filter"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    DEFAULT_CSS = """
    SiteScreen #cameras { height: 1fr; }
    """

    AUTO_FOCUS = "#cameras"
    """The table has the focus from the start (see ``FleetScreen.AUTO_FOCUS``)."""

    def __init__(self, ctx: ConsoleContext, site_id: str) -> None:
        super().__init__(ctx)
        self.site_id = site_id
        self.cameras: dict[str, CameraView] = {}
        self.rules: dict[str, set[str]] = {}
        """Camera key -> rules of its open findings (for ``rule:`` filters)."""
        self.filter_text = ""
        self.complete = False
        """Every page of cameras has arrived (until then the status line
        says how many of how many are shown)."""
        self._terms: dict[str, str] = {}
        self._first: asyncio.Future[tuple[SiteView, Page[CameraView]]] | None = None
        """The first load's summary and first page, asked for by ``compose``."""

    def compose(self) -> ComposeResult:
        # Asked for before the widgets are built, mounted and styled (as the
        # fleet's): the controller answers meanwhile (issue 6).
        self._first = asyncio.ensure_future(self._fetch_first())
        # A screen gone before its first load: its failure is retrieved, not logged.
        self._first.add_done_callback(lambda done: done.cancelled() or done.exception())
        yield ConsoleHeader()
        yield SiteSummary(f"loading site {self.site_id}…", id="site-summary")
        yield FilterBox(placeholder=FILTER_HINT, id="filter")
        # Rows made only when drawn: a site's list is thousands, a screen ~40.
        yield KeyedTable(CAMERA_COLUMNS, id="cameras", styles=CAMERA_STYLES,
                         make=lambda key: camera_cells(self.cameras[key]))
        yield StatusLine()
        yield KeyFooter()

    async def load(self) -> None:
        """The summary and the first page are asked for together and shown
        as they arrive (a 5,000-camera site opens as fast as a small one).
        Until the list is complete once, each later page is added below
        the rows shown as soon as it and those before it have arrived
        (``pages_after``: a few in flight), under the filter typed, with
        the cursor left where it is; the status line says ``loading n / N
        cameras`` until the last. Once complete, a reload keeps the list on
        screen and swaps in the new one only when all of it has arrived: a
        partial list never replaces a complete one. Then the open
        findings' rules for the filter."""
        api = self.ctx.api
        asked, self._first = self._first, None
        site, first = await (asked if asked is not None else self._fetch_first())
        self.query_one(SiteSummary).show(site, self.ctx.now())
        total = min(first.total, MAX_ROWS)

        def page(offset: int, limit: int) -> Awaitable[Page[CameraView]]:
            return api.cameras(self.site_id, offset=offset, limit=limit)

        if self.complete:
            cameras = list(first.items)
            async for more in pages_after(first, page):
                cameras.extend(more.items)
            self.show_cameras(cameras[:MAX_ROWS], final=True)
        else:
            self.show_cameras(list(first.items), final=False)
            self._show_progress(total)
            await self.progressed()
            try:
                async for more in pages_after(first, page):
                    self.append_cameras(more.items[: MAX_ROWS - len(self.cameras)])
                    self._show_progress(total)
                    await self.progressed()
            except ControllerError:
                self._show_progress(total, failed=True)
                raise
            self.complete = True
            self._show_progress(total)
        rules: dict[str, set[str]] = defaultdict(set)
        for finding in await api.all_findings(site=self.site_id, state="open"):
            rules[finding.camera_key].add(finding.rule)
        if rules != self.rules:
            self.rules = dict(rules)
            self._terms.clear()
            if self.filter_text:
                self.lay_out()

    def on_unmount(self) -> None:
        if self._first is not None:
            self._first.cancel()

    async def _fetch_first(self) -> tuple[SiteView, Page[CameraView]]:
        """The summary and the first page, asked for together."""
        api = self.ctx.api
        return await asyncio.gather(
            api.site(self.site_id), api.cameras(self.site_id, offset=0, limit=DEFAULT_PAGE))

    def show_cameras(self, cameras: list[CameraView], *, final: bool) -> None:
        """Show ``cameras``; filter terms are made again only for the
        cameras that changed."""
        before = self.cameras
        self.cameras = {camera.key: camera for camera in cameras}
        for key, camera in self.cameras.items():
            if before.get(key) != camera:
                self._terms.pop(key, None)
        for key in before.keys() - self.cameras.keys():
            self._terms.pop(key, None)
        self.complete = final
        self.lay_out()

    def append_cameras(self, cameras: Iterable[CameraView]) -> None:
        """A page that arrived: its cameras go below those shown, the ones
        the filter keeps into the table (one batch, only they measured). A
        camera a live change showed already keeps that newer version."""
        words = query_words(self.filter_text)
        shown: list[CameraView] = []
        for camera in cameras:
            if camera.key in self.cameras:
                continue
            self.cameras[camera.key] = camera
            if not words or matches(words, self._terms_of(camera)):
                shown.append(camera)
        self.query_one("#cameras", KeyedTable).extend_keys(
            [camera.key for camera in shown], camera_widths(shown))

    def _show_progress(self, total: int, *, failed: bool = False) -> None:
        """``loading n / N cameras`` on the status line while pages arrive
        (a partial list is never shown as the whole); nothing once complete."""
        shown = len(self.cameras)
        if failed:
            self.progress = f"✖ only {shown:,} of {total:,} cameras arrived"
        elif shown < total:
            self.progress = f"loading {shown:,} / {total:,} cameras…"
        else:
            self.progress = ""
        self.show_status()

    def lay_out(self) -> None:
        """Show the cameras that pass the filter, in the controller's order."""
        words = query_words(self.filter_text)
        shown = [camera for camera in self.cameras.values()
                 if not words or matches(words, self._terms_of(camera))]
        self.query_one("#cameras", KeyedTable).show(
            [camera.key for camera in shown], camera_widths(shown))

    def _terms_of(self, camera: CameraView) -> str:
        terms = self._terms.get(camera.key)
        if terms is None:
            terms = self._terms[camera.key] = camera_terms(
                camera, self.rules.get(camera.key, ()))
        return terms

    def apply_change(self, change: ChangeEvent) -> None:
        """A change at this site: the summary, or the one camera a finding
        is about (fetched alone: its state and counts are the controller's)."""
        if change.site_id != self.site_id:
            return
        if change.site is not None:
            self.query_one(SiteSummary).show(change.site, self.ctx.now())
        if change.finding is not None:
            finding = change.finding
            rules = self.rules.setdefault(finding.camera_key, set())
            (rules.add if finding.state == "open" else rules.discard)(finding.rule)
            self._terms.pop(finding.camera_key, None)
            self.run_worker(self._refresh_camera(finding.camera_key), exit_on_error=False)
        elif change.site is not None:
            self.run_worker(self.changed(), exit_on_error=False)

    async def _refresh_camera(self, key: str) -> None:
        try:
            detail = await self.ctx.api.camera(self.site_id, key)
        except ControllerError as exc:
            if exc.status != 404:  # 404: the finding is the agent's, not a camera's
                self.fail_quietly(exc)
        else:
            self.show_camera(detail.camera)
        await self.changed()

    def show_camera(self, camera: CameraView) -> None:
        self.cameras[camera.key] = camera
        self._terms.pop(camera.key, None)
        table = self.query_one("#cameras", KeyedTable)
        if matches(query_words(self.filter_text), self._terms_of(camera)):
            table.upsert_key(camera.key, camera_widths([camera]))
        else:
            table.drop(camera.key)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.lay_out()

    def action_focus_filter(self) -> None:
        self.query_one(FilterBox).focus()

    def action_open_camera(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#cameras", KeyedTable).focus()
            return
        key = self.query_one("#cameras", KeyedTable).cursor_key
        if key is not None:
            self.post_message(CameraChosen(self.site_id, key))

    def on_data_table_row_selected(self, event: KeyedTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(CameraChosen(self.site_id, event.row_key.value))


def camera_terms(camera: CameraView, rules: Iterable[str]) -> str:
    """What the filter searches: the shown words, ``state:…`` (the API's
    name and the shown word) and ``rule:…`` for each open finding."""
    _, word, _ = STATE_MARK[camera.state]
    return terms(
        camera.name, camera.key, camera.location, camera.coverage, camera.manufacturer,
        camera.model, camera.firmware, camera.address, camera.serial,
        state=(camera.state, word.lower()), rule=sorted(rules),
    )


def camera_cells(camera: CameraView) -> tuple[Cell, ...]:
    """One camera as table cells (its row's key is the camera key), made
    when its line is drawn. Undeclared and missing cameras carry their
    state on the name too, marked. The state and counts cells are shared
    by every row that shows the same (the table only reads its cells), the
    name and the id are plain strings drawn in their columns' styles
    (``CAMERA_STYLES``): a declared camera's row makes no ``Text`` at all.
    ``camera_widths`` measures these cells from the fields: change both."""
    label = camera.name or camera.key
    name: Cell = label  # bold, the column's style
    marked = NAME_MARKS.get(camera.state)
    if marked is not None:
        mark, style = marked
        name = Text(f"{mark}{label}", style=style)
    address = _shown_address(camera, label)
    if address is not None:
        name = Text(name, style="bold") if isinstance(name, str) else name
        name.append(f" {address}", style="dim")
    return (
        name,
        state_cell(camera.state),
        counts_cell(camera.findings_open),
        camera.location or "—",
        _device(camera),
        camera.firmware or "—",
        camera.camera_id or "(undeclared)",  # dim, the column's style
    )


def camera_widths(cameras: Sequence[CameraView]) -> tuple[int, ...]:
    """Each column's widest cell in ``camera_cells`` of ``cameras``,
    measured from the fields without making the cells (0 for none)."""
    states = {camera.state for camera in cameras}
    # The counts told apart as tuples, in C loops: hashing the models is ~4x slower.
    counts = set(map(attrgetter("critical", "warning", "info"),
                     map(attrgetter("findings_open"), cameras)))
    # Most names are the name alone; the marked and the addressed are measured whole.
    named = [camera.name or camera.key for camera in cameras
             if camera.camera_id and camera.state not in NAME_MARKS]
    other = [camera for camera in cameras if not camera.camera_id or camera.state in NAME_MARKS]
    return (
        max(text_width(named), text_width(map(_name_plain, other))),
        max((state_cell(state).cell_len for state in states), default=0),
        max((counts_cell(SeverityCounts(critical=critical, warning=warning, info=info)).cell_len
             for critical, warning, info in counts), default=0),
        text_width([camera.location or "—" for camera in cameras]),
        text_width(map(_device, cameras)),
        text_width([camera.firmware or "—" for camera in cameras]),
        text_width([camera.camera_id or "(undeclared)" for camera in cameras]),
    )


def _name_plain(camera: CameraView) -> str:
    """The name cell's text (``camera_cells``), unstyled."""
    label = camera.name or camera.key
    marked = NAME_MARKS.get(camera.state)
    if marked is not None:
        label = marked[0] + label
    address = _shown_address(camera, camera.name or camera.key)
    return label if address is None else f"{label} {address}"


def _shown_address(camera: CameraView, label: str) -> str | None:
    """An undeclared device's address, after its name unless it is the name."""
    if not camera.camera_id and camera.address and camera.address != label:
        return camera.address
    return None


def _device(camera: CameraView) -> str:
    manufacturer, model = camera.manufacturer, camera.model
    if manufacturer and model:
        return f"{manufacturer} {model}"
    return manufacturer or model or "—"
