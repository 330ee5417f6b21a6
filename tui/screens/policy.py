"""Policies: the declared policy per site, its version, and when it reached
each agent (the version each agent last said it audits with)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from schemas.api import PolicyDetail, PolicyVersionView
from tui.format import age, local_time
from tui.screens.base import DataScreen
from tui.widgets.console_header import ConsoleHeader
from tui.widgets.key_footer import KeyFooter
from tui.widgets.keyed_table import KeyedTable, Row
from tui.widgets.status_line import StatusLine

POLICY_COLUMNS = (
    ("policy", "Policy"),
    ("version", "Version"),
    ("site", "Site"),
    ("agent", "Agent"),
    ("reached", "Agent audits with"),
    ("report", "Last report"),
)


class PolicyScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    DEFAULT_CSS = """
    PolicyScreen #policies { height: auto; max-height: 12; }
    PolicyScreen #policy-body { height: 1fr; }
    PolicyScreen #policy-detail { height: auto; padding: 0 1; border-top: solid $primary; }
    """

    details: dict[str, PolicyDetail]

    def compose(self) -> ComposeResult:
        self.details = {}
        yield ConsoleHeader()
        with VerticalScroll(id="policy-body"):
            yield KeyedTable(POLICY_COLUMNS, id="policies")
            yield Static("loading policies…", id="policy-detail")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#policies", KeyedTable).focus()

    async def load(self) -> None:
        api = self.ctx.api
        versions = await api.all_policies()
        self.details = {v.policy_id: await api.policy(v.policy_id) for v in versions}
        now, tz = self.ctx.now(), self.ctx.display_tz
        rows = [row for v in versions for row in policy_rows(v, now, tz)]
        table = self.query_one("#policies", KeyedTable)
        table.sync(rows)
        self._show_detail(table.cursor_key)

    def on_data_table_row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        self._show_detail(event.row_key.value)

    def _show_detail(self, key: str | None) -> None:
        policy_id = key.split("/", 1)[0] if key else None
        detail = self.details.get(policy_id) if policy_id else None
        if detail is None and self.details:
            detail = next(iter(self.details.values()))
        shown = (policy_text(detail, self.ctx.display_tz) if detail is not None
                 else Text("no policy loaded in the controller", style="yellow"))
        self.query_one("#policy-detail", Static).update(shown)


def policy_rows(view: PolicyVersionView, now: datetime, tz: tzinfo | None) -> list[Row]:
    """One row per site of the policy, with its agent(s); the key is
    ``policy/site/agent``."""
    rows: list[Row] = []
    by_site = {site: [a for a in view.agents if a.site_id == site] for site in view.sites}
    for site, agents in by_site.items():
        if not agents:
            rows.append((f"{view.policy_id}/{site}/", (
                view.policy_id, view.version, site, Text("— no agent", style="dim"),
                Text("? never reported", style="yellow"), "—",
            )))
        for agent in agents:
            if agent.policy_version == view.version:
                reached = Text(f"✔ {agent.policy_version}", style="green")
            else:
                reached = Text(f"▲ OLD {agent.policy_version}", style="bold yellow")
            rows.append((f"{view.policy_id}/{site}/{agent.agent_id}", (
                view.policy_id, view.version, site, agent.agent_id, reached,
                f"{local_time(agent.reported_at, tz)} ({age(agent.reported_at, now)} ago)",
            )))
    return rows


def policy_text(detail: PolicyDetail, tz: tzinfo | None) -> Text:
    """The policy in its own words (Korean first, as declared), the figures
    the checks use, and when the controller loaded this version."""
    policy, summary = detail.policy, detail.summary
    org = policy.organisation
    text = Text()
    text.append(f"{policy.policy_id} {policy.version}", style="bold")
    text.append(f" · effective from {policy.effective_from.isoformat()}"
                f" · loaded {local_time(summary.loaded_at, tz)}\n")
    text.append("Organisation: ", style="bold")
    text.append(org.name + (f" ({org.name_en})" if org.name_en else "") + "\n")
    text.append("Legal basis: ", style="bold")
    text.append("; ".join(policy.legal_basis) + "\n")
    text.append("Purposes: ", style="bold")
    text.append(", ".join(policy.purposes))
    if policy.purposes_text:
        text.append(f" — {policy.purposes_text}")
    text.append("\nRetention: ", style="bold")
    text.append(f"{policy.retention.days} days ({policy.retention.deletion} deletion)"
                f" · audio {policy.audio} · clock within {policy.clock.max_drift_seconds:g} s"
                f" · recording {'continuous' if policy.recording.continuous else 'scheduled'}\n")
    text.append("Sites: ", style="bold")
    text.append(", ".join(f"{s.name} ({s.id}, {len(s.cameras)} cameras)" for s in policy.sites))
    return text
