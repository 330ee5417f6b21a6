"""The site screen's header: which site, under which policy, how it stands."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from schemas.api import SiteView
from tui.format import agent_text, counts_text


def site_summary_text(site: SiteView, now: datetime) -> Text:
    """Three lines: the site and its policy; cameras and open findings; the
    agent and where footage is stored."""
    text = Text()
    text.append(f"{site.name}", style="bold")
    text.append(f" ({site.site_id}) · {site.organisation}")
    text.append(f" · policy {site.policy_id} {site.policy_version}\n")
    text.append(
        f"cameras {site.cameras_declared} declared / {site.cameras_seen} seen / "
        f"{site.cameras_compliant} compliant · open "
    )
    text.append_text(counts_text(site.findings_open))
    text.append("\nagent ")
    text.append_text(agent_text(site, now))
    text.append(f" · footage stored in: {site.storage_place}")
    return text


class SiteSummary(Static):
    DEFAULT_CSS = """
    SiteSummary {
        height: auto;
        padding: 0 1;
        border-bottom: solid $primary;
    }
    """

    def show(self, site: SiteView, now: datetime) -> None:
        self.update(site_summary_text(site, now))
