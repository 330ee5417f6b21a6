"""The paperwork of one organisation (``g``): the personal video register
with the verification of its chain, the access requests with their
deadlines, and the half-year's self-inspection checklist.

The three come from the controller's register routes; the console only
reads them (entries are written by the CLI, the API or the controller
itself). ``o`` moves to the next organisation the controller knows; ``1``,
``2``, ``3`` choose the tab. A live finding about a request or the
checklist (a deadline coming, an inspection overdue) reloads the screen.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from schemas.api import ChangeEvent
from schemas.register import AccessRequest, ChecklistView, RegisterEntry, RequestsView
from tui.context import ConsoleContext
from tui.paperwork import (
    CHECKLIST_COLUMNS,
    REGISTER_COLUMNS,
    REQUEST_COLUMNS,
    checklist_rows,
    checklist_text,
    entry_text,
    findings_text,
    item_text,
    register_rows,
    request_rows,
    request_text,
    verify_text,
)
from tui.screens.base import DataScreen
from tui.widgets.console_header import ConsoleHeader
from tui.widgets.key_footer import KeyFooter
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.status_line import StatusLine

RELOADING_RULES = ("request.", "checklist.")
"""Live findings of these rules change what this screen shows."""

TABS = ("register", "requests", "checklist")


class PaperworkScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "next_organisation", "Next organisation"),
        Binding("1", "tab('register')", "Register", show=False),
        Binding("2", "tab('requests')", "Requests", show=False),
        Binding("3", "tab('checklist')", "Checklist", show=False),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    DEFAULT_CSS = """
    PaperworkScreen #organisation { height: auto; padding: 0 1; }
    PaperworkScreen TabbedContent { height: 1fr; }
    PaperworkScreen TabPane { padding: 0; }
    PaperworkScreen KeyedTable { height: auto; max-height: 10; }
    PaperworkScreen .head { height: auto; padding: 0 1; }
    PaperworkScreen .detail { height: auto; padding: 0 1; border-top: solid $primary; }
    """

    def __init__(self, ctx: ConsoleContext, policy_id: str | None = None) -> None:
        """``policy_id`` None: the first organisation the controller lists."""
        super().__init__(ctx)
        self.policy_id = policy_id
        self.organisations: dict[str, str] = {}
        """policy id -> organisation name, as the controller lists them."""
        self.entries: dict[str, RegisterEntry] = {}
        self.total_entries = 0
        self.requests: dict[str, AccessRequest] = {}
        self.checklist: ChecklistView | None = None

    def compose(self) -> ComposeResult:
        yield ConsoleHeader()
        yield Static("loading the paperwork…", id="organisation")
        with TabbedContent(id="tabs", initial="register"):
            with TabPane("Register 관리대장", id="register"), VerticalScroll():
                yield Static("", id="verify", classes="head")
                yield KeyedTable(REGISTER_COLUMNS, id="register-table")
                yield Static("", id="entry-detail", classes="detail")
            with TabPane("Requests 열람 청구", id="requests"), VerticalScroll():
                yield Static("", id="request-findings", classes="head")
                yield KeyedTable(REQUEST_COLUMNS, id="requests-table")
                yield Static("", id="request-detail", classes="detail")
            with TabPane("Checklist 자체점검표", id="checklist"), VerticalScroll():
                yield Static("", id="checklist-head", classes="head")
                yield KeyedTable(CHECKLIST_COLUMNS, id="checklist-table")
                yield Static("", id="item-detail", classes="detail")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#register-table", KeyedTable).focus()

    async def load(self) -> None:
        api = self.ctx.api
        versions = await api.all_policies()
        self.organisations = {v.policy_id: v.organisation for v in versions}
        while True:
            if self.policy_id not in self.organisations:
                self.policy_id = next(iter(self.organisations), None)
            policy_id = self.policy_id
            if policy_id is None:
                self._show_nothing()
                return
            entries, total, verify = await api.whole_register(policy_id)
            requests = await api.requests(policy_id)
            checklist = await api.checklist(policy_id)
            if self.policy_id == policy_id:  # the operator did not move on meanwhile
                break
        self.total_entries = total
        self._show_organisation()
        self.entries = {str(e.number): e for e in entries}
        tz = self.ctx.display_tz
        shown = f" (the newest {len(entries)})" if len(entries) < total else ""
        verdict = verify_text(verify)
        verdict.append(f"\n{total} entries in the register{shown}", style="")
        self.query_one("#verify", Static).update(verdict)
        register = self.query_one("#register-table", KeyedTable)
        register.rebuild(register_rows(entries, verify, tz))
        self._show_entry(register.cursor_key)
        self._show_requests(requests)
        self._show_checklist(checklist)

    def _show_organisation(self) -> None:
        ids = list(self.organisations)
        policy_id = self.policy_id or ""
        name = self.organisations.get(policy_id, "")
        where = f" · {ids.index(policy_id) + 1} of {len(ids)}, o: next" if len(ids) > 1 else ""
        text = Text()
        text.append(f"{name} ({policy_id})", style="bold")
        text.append(where)
        self.query_one("#organisation", Static).update(text)

    def _show_nothing(self) -> None:
        self.query_one("#organisation", Static).update(
            Text("no policy loaded in the controller: no paperwork to show", style="yellow")
        )
        for table in self.query(KeyedTable):
            table.rebuild([])

    def _show_requests(self, view: RequestsView) -> None:
        now, tz = self.ctx.now(), self.ctx.display_tz
        self.requests = {str(r.id): r for r in view.items}
        head = findings_text(view.findings)
        open_count = sum(1 for r in view.items if r.state == "received")
        head.append(f"\n{len(view.items)} requests, {open_count} awaiting an answer "
                    "(due within 10 days)", style="")
        self.query_one("#request-findings", Static).update(head)
        table = self.query_one("#requests-table", KeyedTable)
        table.rebuild(request_rows(view.items, now, tz))
        self._show_request(table.cursor_key)

    def _show_checklist(self, view: ChecklistView) -> None:
        self.checklist = view
        head = checklist_text(view.checklist, view.last_completed, self.ctx.display_tz)
        if view.findings:
            head.append("\n")
            head.append_text(findings_text(view.findings))
        self.query_one("#checklist-head", Static).update(head)
        table = self.query_one("#checklist-table", KeyedTable)
        table.rebuild(checklist_rows(view.checklist))
        self._show_item(table.cursor_key)

    # --- the detail under each table ---------------------------------------

    def on_data_table_row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        key = event.row_key.value
        table_id = event.data_table.id
        if table_id == "register-table":
            self._show_entry(key)
        elif table_id == "requests-table":
            self._show_request(key)
        elif table_id == "checklist-table":
            self._show_item(key)

    def _show_entry(self, key: str | None) -> None:
        stored = self.entries.get(key) if key else None
        shown = (entry_text(stored, self.ctx.display_tz) if stored is not None
                 else Text("the register is empty", style="dim"))
        self.query_one("#entry-detail", Static).update(shown)

    def _show_request(self, key: str | None) -> None:
        request = self.requests.get(key) if key else None
        shown = (request_text(request, self.ctx.now(), self.ctx.display_tz)
                 if request is not None else Text("no access requests", style="dim"))
        self.query_one("#request-detail", Static).update(shown)

    def _show_item(self, key: str | None) -> None:
        items = {str(i.no): i for i in self.checklist.checklist.items} if self.checklist else {}
        item = items.get(key) if key else None
        shown = item_text(item) if item is not None else Text("", style="dim")
        self.query_one("#item-detail", Static).update(shown)

    # --- actions and live changes ------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.query_one(f"#{tab}-table", KeyedTable).focus()

    def action_next_organisation(self) -> None:
        ids = list(self.organisations)
        if len(ids) < 2:
            self.notify("the controller knows only this organisation", title="camwarden")
            return
        index = ids.index(self.policy_id) if self.policy_id in ids else -1
        self.policy_id = ids[(index + 1) % len(ids)]
        self._show_organisation()
        self.request_reload()

    def apply_change(self, change: ChangeEvent) -> None:
        finding = change.finding
        if finding is not None and finding.rule.startswith(RELOADING_RULES):
            self.request_reload()
