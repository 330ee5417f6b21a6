"""Alerts: the live feed of the controller's event stream, newest first."""

from __future__ import annotations

from datetime import tzinfo
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from schemas.api import ChangeEvent
from tui.alerts import Alert, AlertFeed, is_alarming
from tui.context import ConsoleContext
from tui.format import local_time, severity_text
from tui.messages import CameraChosen, SiteChosen
from tui.screens.base import DataScreen
from tui.widgets.console_header import ConsoleHeader
from tui.widgets.key_footer import KeyFooter
from tui.widgets.keyed_table import KeyedTable, Row
from tui.widgets.status_line import StatusLine

ALERT_COLUMNS = (
    ("at", "When"),
    ("what", "What"),
    ("severity", "Severity"),
    ("where", "Site / camera"),
    ("detail", "Detail"),
)

STEP_MARKS = {
    "opened": ("● NEW", "bold"),
    "escalated": ("▲ ESCALATED", "bold yellow"),
    "reopened": ("● REOPENED", "bold"),
    "acknowledged": ("◐ acknowledged", ""),
    "resolved": ("✔ resolved", "green"),
}


class AlertsScreen(DataScreen):
    """Reads the app's ``AlertFeed`` (kept while the operator is elsewhere)
    and adds each new alert at the top as it arrives. Enter opens the
    camera (or the site, for an agent alert)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", priority=True),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    DEFAULT_CSS = """
    AlertsScreen #alerts { height: 1fr; }
    AlertsScreen #alerts-head { height: auto; padding: 0 1; border-bottom: solid $primary; }
    """

    def __init__(self, ctx: ConsoleContext, feed: AlertFeed) -> None:
        super().__init__(ctx)
        self.feed = feed
        self.alerts: dict[str, Alert] = {}

    def compose(self) -> ComposeResult:
        yield ConsoleHeader()
        yield Static("", id="alerts-head")
        yield KeyedTable(ALERT_COLUMNS, id="alerts")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#alerts", KeyedTable).focus()

    async def load(self) -> None:
        """Nothing to fetch: the feed is what the stream brought."""
        self.lay_out()

    def lay_out(self) -> None:
        tz = self.ctx.display_tz
        items = self.feed.items
        self.alerts = {alert.key: alert for alert in items}
        self.query_one("#alerts", KeyedTable).rebuild([alert_row(a, tz) for a in items])
        self._head()

    def apply_change(self, change: ChangeEvent) -> None:
        """The app added the change to the feed first; show the newest on top."""
        if change.kind in ("finding", "agent"):
            self.lay_out()
        self.run_worker(self.changed(), exit_on_error=False)

    def _head(self) -> None:
        critical = sum(1 for a in self.feed.items if is_alarming(a))
        text = Text("Alerts ", style="bold")
        text.append(f"{len(self.feed)} since the console started · ")
        text.append(f"✖ {critical} critical", style="bold red" if critical else "dim")
        live = self.ctx.link.live
        text.append(" · ● live" if live else " · ○ live updates down: alerts may be late",
                    style="" if live else "bold")
        self.query_one("#alerts-head", Static).update(text)

    def show_status(self) -> None:
        super().show_status()
        if self.is_mounted and self.query("#alerts-head"):
            self._head()

    def action_open(self) -> None:
        key = self.query_one("#alerts", KeyedTable).cursor_key
        alert = self.alerts.get(key) if key is not None else None
        if alert is None:
            return
        if alert.finding is not None and alert.finding.camera_key != alert.finding.site_id:
            self.post_message(CameraChosen(alert.site_id, alert.finding.camera_key))
        else:
            self.post_message(SiteChosen(alert.site_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()


def alert_row(alert: Alert, tz: tzinfo | None) -> Row:
    when = local_time(alert.at, tz)
    if alert.finding is not None:
        finding = alert.finding
        kind = alert.step.kind if alert.step is not None else finding.state
        word, style = STEP_MARKS.get(kind, (kind, ""))
        detail = finding.title
        if alert.step is not None and alert.step.by:
            detail += f" · by {alert.step.by}"
        return (alert.key, (
            when, Text(word, style=style), severity_text(finding.severity),
            f"{finding.site_id} / {finding.camera_key}", detail,
        ))
    site = alert.site
    online = site is not None and site.agent_online
    return (alert.key, (
        when,
        Text("● agent online", style="green") if online else Text("○ AGENT OFFLINE",
                                                                  style="bold red"),
        Text("—", style="dim"),
        alert.site_id,
        f"agent {site.agent_id if site else '?'} of {site.name if site else alert.site_id}",
    ))
