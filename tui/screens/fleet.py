"""The fleet: overall compliance, then one row per site."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header

from schemas.api import SiteView
from tui.format import agent_text, cameras_text, counts_text
from tui.messages import SiteChosen
from tui.screens.base import DataScreen
from tui.widgets.fleet_summary import FleetSummary
from tui.widgets.keyed_table import KeyedTable, Row
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


class FleetScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_site", "Open site", priority=True)
    ]
    """A priority binding so that the Footer shows it; a mouse click on a
    row still arrives as DataTable.RowSelected."""

    DEFAULT_CSS = """
    FleetScreen #sites { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield FleetSummary("loading…", id="fleet-summary")
        yield KeyedTable(SITE_COLUMNS, id="sites")
        yield StatusLine()
        yield Footer()

    async def load(self) -> None:
        api = self.ctx.api
        fleet = await api.fleet()
        sites = await api.all_sites()
        now = self.ctx.now()
        self.query_one(FleetSummary).show(fleet)
        self.query_one("#sites", KeyedTable).sync([site_row(site, now) for site in sites])

    def action_open_site(self) -> None:
        key = self.query_one("#sites", KeyedTable).cursor_key
        if key is not None:
            self.post_message(SiteChosen(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(SiteChosen(event.row_key.value))


def site_row(site: SiteView, now: datetime) -> Row:
    """One site as table cells; the row key is the site id."""
    return (
        site.site_id,
        (
            Text(site.name, style="bold"),
            counts_text(site.findings_open),
            cameras_text(site),
            agent_text(site, now),
            Text(site.site_id, style="dim"),
        ),
    )
