"""The fleet screen's header: overall compliance and open findings."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from schemas.api import FleetView
from tui.format import counts_words, percent


def fleet_summary_text(fleet: FleetView) -> Text:
    """Two lines: compliance of the declared cameras, then open findings by
    severity and agents online."""
    text = Text()
    text.append("Compliance ", style="bold")
    text.append(
        percent(fleet.cameras_compliant, fleet.cameras_declared),
        style="bold green" if fleet.cameras_compliant == fleet.cameras_declared else "bold yellow",
    )
    text.append(
        f"  {fleet.cameras_compliant} of {fleet.cameras_declared} declared cameras compliant"
        f" · {fleet.cameras_seen} seen · {fleet.sites} site(s)\n"
    )
    text.append("Open findings  ", style="bold")
    text.append_text(counts_words(fleet.findings_open))
    text.append(f"  · agents {fleet.agents_online}/{fleet.agents_known} online")
    return text


class FleetSummary(Static):
    DEFAULT_CSS = """
    FleetSummary {
        height: auto;
        padding: 0 1;
        border-bottom: solid $primary;
    }
    """

    def show(self, fleet: FleetView) -> None:
        self.update(fleet_summary_text(fleet))
