"""The fleet: overall compliance, then one row per site, sortable and filterable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from schemas.api import ChangeEvent, FleetView, SiteView
from tui.client import ControllerError
from tui.filtering import matches, query_words, terms
from tui.format import agent_cell, cameras_text, counts_cell
from tui.messages import SiteChosen
from tui.screens.base import DataScreen
from tui.widgets.console_header import ConsoleHeader
from tui.widgets.filter_box import FilterBox
from tui.widgets.fleet_summary import FleetSummary
from tui.widgets.key_footer import KeyFooter
from tui.widgets.keyed_table import Cell, KeyedTable, Row
from tui.widgets.status_line import StatusLine

SITE_COLUMNS = (
    ("site", "Site"),
    ("findings", "Open ✖/▲/ℹ"),
    ("cameras", "Cameras d/s/ok"),
    ("agent", "Agent, last report"),
    ("id", "Site id"),
)
"""What needs attention first; the site id (long, and shown on the site
screen) last, so that the rest fits 80 columns."""

SITE_STYLES = {"site": "bold", "id": "dim"}
"""How the plain-string cells of these columns are drawn (``site_row``)."""


@dataclass(frozen=True)
class SiteSort:
    name: str
    column: str
    key: Callable[[SiteView], tuple[object, ...]]


def _attention(site: SiteView) -> tuple[object, ...]:
    f = site.findings_open
    return (-f.critical, site.agent_online is not False, -f.warning, -f.info, site.name)


SORTS = (
    SiteSort("attention", "findings", _attention),
    SiteSort("name", "site", lambda s: (s.name.lower(), s.site_id)),
    SiteSort("compliance", "cameras",
             lambda s: (s.cameras_compliant / s.cameras_declared if s.cameras_declared else 1.0,
                        s.site_id)),
    SiteSort("agent", "agent",
             lambda s: (s.agent_online is not False, s.last_report_at is not None,
                        s.last_report_at.timestamp() if s.last_report_at else 0.0, s.site_id)),
    SiteSort("site id", "id", lambda s: (s.site_id,)),
)
"""``s`` cycles through these; a click on a column header picks its sort.
Attention: most critical first, offline agents before online, then warnings.
Agent: offline first, then the oldest last report first."""


def site_terms(site: SiteView) -> str:
    f = site.findings_open
    flags = [name for name, n in (("critical", f.critical), ("warning", f.warning),
                                  ("info", f.info)) if n]
    agent = {True: "online", False: "offline", None: "unknown"}[site.agent_online]
    return terms(site.name, site.site_id, site.organisation, site.policy_id, *flags,
                 agent=(agent,) if site.agent_id else ("none",))


class FleetScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_site", "Open site", priority=True),
        Binding("slash", "focus_filter", "Filter"),
        Binding("s", "next_sort", "Sort"),
    ]
    """Enter is a priority binding so that the Footer shows it; a mouse
    click on a row still arrives as KeyedTable.RowSelected."""

    DEFAULT_CSS = """
    FleetScreen #sites { height: 1fr; }
    """

    AUTO_FOCUS = "#sites"
    """The table has the focus from the start (not the filter box, the first
    focusable, and then the table: each focus change rebuilds the key bar)."""

    sites: dict[str, SiteView]
    sort_index = 0
    filter_text = ""
    _header_wanted = False

    def compose(self) -> ComposeResult:
        # Asked for before the widgets are built, mounted and styled: the
        # controller answers meanwhile (the console's first wait, issue 6).
        self._first: asyncio.Future[tuple[FleetView, tuple[SiteView, ...]]] | None = (
            asyncio.ensure_future(self._fetch()))
        # A screen gone before its first load: its failure is retrieved, not logged.
        self._first.add_done_callback(lambda done: done.cancelled() or done.exception())
        self.sites = {}
        self._rows: dict[str, tuple[SiteView, Cell, Row]] = {}
        """Site id -> the site and agent cell its row was made from, the row."""
        self._terms: dict[str, tuple[SiteView, str]] = {}
        """Site id -> the site its filter terms were made from, the terms."""
        yield ConsoleHeader()
        yield FleetSummary("loading…", id="fleet-summary")
        yield FilterBox(placeholder="/ filter: name, id, critical, offline… · s: sort by attention",
                        id="filter")
        yield KeyedTable(SITE_COLUMNS, id="sites", styles=SITE_STYLES)
        yield StatusLine()
        yield KeyFooter()

    @property
    def sort(self) -> SiteSort:
        return SORTS[self.sort_index]

    async def load(self) -> None:
        """The header and every site; the first load takes what ``compose``
        asked for, later ones ask again."""
        first, self._first = self._first, None
        fleet, sites = await (first if first is not None else self._fetch())
        self.query_one(FleetSummary).show(fleet)
        self.sites = {site.site_id: site for site in sites}
        self.lay_out()

    def on_unmount(self) -> None:
        if self._first is not None:
            self._first.cancel()

    async def _fetch(self) -> tuple[FleetView, tuple[SiteView, ...]]:
        api = self.ctx.api
        return await asyncio.gather(api.fleet(), api.all_sites())  # one round trip less

    def lay_out(self) -> None:
        """Show the sites that pass the filter, in the chosen order. Rows
        and filter terms are kept: a sort, a filter or a reload that
        changed nothing gives the table the very rows it stores (neither
        made nor measured again)."""
        now = self.ctx.now()
        words = query_words(self.filter_text)
        shown = sorted((s for s in self.sites.values()
                        if not words or matches(words, self._terms_of(s))),
                       key=self.sort.key)
        self.query_one("#sites", KeyedTable).rebuild([self._row(s, now) for s in shown])
        for gone in self._rows.keys() - self.sites.keys():
            del self._rows[gone]
            self._terms.pop(gone, None)
        self._describe_view(len(shown))

    def _row(self, site: SiteView, now: datetime) -> Row:
        """``site_row``, kept while the site and its agent cell (shared:
        the same object while it reads the same) stay as they were."""
        agent = agent_cell(site, now)
        kept = self._rows.get(site.site_id)
        if kept is not None and kept[1] is agent and kept[0] == site:
            return kept[2]
        row = site_row(site, now)
        self._rows[site.site_id] = (site, agent, row)
        return row

    def _terms_of(self, site: SiteView) -> str:
        kept = self._terms.get(site.site_id)
        if kept is not None and kept[0] == site:
            return kept[1]
        terms = site_terms(site)
        self._terms[site.site_id] = (site, terms)
        return terms

    def _describe_view(self, shown: int) -> None:
        box = self.query_one(FilterBox)
        hidden = len(self.sites) - shown
        box.placeholder = (
            f"/ filter: name, id, critical, offline… · s: sort · sorted by {self.sort.name}"
        )
        box.tooltip = f"{shown} shown, {hidden} hidden by the filter"

    def apply_change(self, change: ChangeEvent) -> None:
        """A site's summary or its agent changed: that row only; the header
        (one small object) is fetched again for any change but a heartbeat."""
        if change.kind == "heartbeat":
            return
        if change.site is not None:
            site = change.site
            self.sites[site.site_id] = site
            table = self.query_one("#sites", KeyedTable)
            if matches(query_words(self.filter_text), self._terms_of(site)):
                table.upsert(self._row(site, self.ctx.now()))
            else:
                table.drop(site.site_id)
        if self._header_wanted:
            self.run_worker(self.changed(), exit_on_error=False)  # the pending fetch covers it
            return
        self._header_wanted = True
        self.run_worker(self._refresh_header(), exit_on_error=False)

    async def _refresh_header(self) -> None:
        """One fetch at a time: changes arriving meanwhile ride on it."""
        try:
            fleet = await self.ctx.api.fleet()
        except ControllerError as exc:
            self.fail_quietly(exc)
        else:
            self.query_one(FleetSummary).show(fleet)
        finally:
            self._header_wanted = False
        await self.changed()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.lay_out()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#sites", KeyedTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one(FilterBox).focus()

    def action_next_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.lay_out()
        self.notify(f"sites sorted by {self.sort.name}", timeout=2)

    def on_data_table_header_selected(self, event: KeyedTable.HeaderSelected) -> None:
        event.stop()
        for index, sort in enumerate(SORTS):
            if sort.column == event.column_key.value:
                self.sort_index = index
                self.lay_out()

    def action_open_site(self) -> None:
        if self.focused is not None and isinstance(self.focused, Input):
            self.query_one("#sites", KeyedTable).focus()
            return
        key = self.query_one("#sites", KeyedTable).cursor_key
        if key is not None:
            self.post_message(SiteChosen(key))

    def on_data_table_row_selected(self, event: KeyedTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(SiteChosen(event.row_key.value))


def site_row(site: SiteView, now: datetime) -> Row:
    """One site as table cells; the row key is the site id. The name and
    the id are plain strings drawn in their columns' styles
    (``SITE_STYLES``); the counts and agent cells are shared by every row
    that shows the same."""
    return (
        site.site_id,
        (
            site.name,
            counts_cell(site.findings_open),
            cameras_text(site),
            agent_cell(site, now),
            site.site_id,
        ),
    )
