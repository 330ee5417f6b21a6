"""One camera: declared against observed, its findings in full with their
history, and acknowledging one with a note."""

from __future__ import annotations

from datetime import tzinfo
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll

from schemas.api import CameraDetail, ChangeEvent, FindingEvent, FindingView, SiteView
from schemas.rules import severity_rank
from tui.client import ControllerError
from tui.compare import comparison
from tui.context import ConsoleContext
from tui.format import finding_state_text, local_time, severity_text
from tui.screens.acknowledge import AcknowledgeScreen
from tui.screens.base import DataScreen
from tui.widgets.camera_card import CameraCard
from tui.widgets.compare_panel import ComparePanel
from tui.widgets.console_header import ConsoleHeader
from tui.widgets.finding_detail import FindingDetail
from tui.widgets.key_footer import KeyFooter
from tui.widgets.keyed_table import KeyedTable, Row
from tui.widgets.status_line import StatusLine

FINDING_COLUMNS = (
    ("severity", "Severity"),
    ("rule", "Rule"),
    ("title", "Title"),
    ("first_seen", "First seen"),
    ("state", "State"),
)

FINDING_STATE_ORDER = {"open": 0, "acknowledged": 1, "resolved": 2}


class CameraScreen(DataScreen):
    """The body scrolls as one (at 80×24 it is taller than the screen); the
    findings table has the focus, and moving its cursor shows that finding
    in full below it, with its history (fetched for that finding alone).
    ``k`` acknowledges it with a note (an operator's token)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "acknowledge", "Acknowledge"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    DEFAULT_CSS = """
    CameraScreen #camera-body { height: 1fr; }
    CameraScreen #findings { height: auto; max-height: 8; }
    """

    def __init__(self, ctx: ConsoleContext, site_id: str, camera_key: str) -> None:
        super().__init__(ctx)
        self.site_id = site_id
        self.camera_key = camera_key
        self.findings: dict[str, FindingView] = {}
        self.histories: dict[int, tuple[FindingEvent, ...]] = {}
        self.acknowledged = 0
        """Acknowledgements the controller confirmed from this screen."""

    def compose(self) -> ComposeResult:
        yield ConsoleHeader()
        with VerticalScroll(id="camera-body"):
            yield CameraCard(f"loading camera {self.camera_key}…", id="camera-card")
            yield ComparePanel(id="compare")
            yield KeyedTable(FINDING_COLUMNS, id="findings")
            yield FindingDetail("", id="finding-detail")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#findings", KeyedTable).focus()

    async def load(self) -> None:
        api = self.ctx.api
        site = await api.site(self.site_id)
        detail = await api.camera(self.site_id, self.camera_key)
        self.show(detail, site)

    def show(self, detail: CameraDetail, site: SiteView | None) -> None:
        now = self.ctx.now()
        tz = self.ctx.display_tz
        self.query_one(CameraCard).show(detail.camera, site, now, tz)
        self.query_one(ComparePanel).show(comparison(detail, now))
        ordered = sorted(detail.findings, key=_finding_order)
        self.findings = {str(f.id): f for f in ordered}
        self.histories = {}
        table = self.query_one("#findings", KeyedTable)
        table.sync([finding_row(f, tz) for f in ordered])
        self._show_detail(table.cursor_key)

    def apply_change(self, change: ChangeEvent) -> None:
        """A finding of this camera changed: its row and, when shown, its
        detail and history. A new finding is added to the table."""
        finding = change.finding
        if finding is None or (finding.site_id, finding.camera_key) != (
            self.site_id, self.camera_key
        ):
            return
        self.show_finding(finding)
        self.run_worker(self.changed(), exit_on_error=False)

    def show_finding(self, finding: FindingView) -> None:
        self.findings[str(finding.id)] = finding
        self.histories.pop(finding.id, None)
        table = self.query_one("#findings", KeyedTable)
        table.upsert(finding_row(finding, self.ctx.display_tz))
        self._show_detail(table.cursor_key)

    @property
    def current(self) -> FindingView | None:
        """The finding whose detail is shown."""
        key = self.query_one("#findings", KeyedTable).cursor_key
        finding = self.findings.get(key) if key is not None else None
        if finding is None and self.findings:
            finding = next(iter(self.findings.values()))
        return finding

    def on_data_table_row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        if event.data_table.id == "findings":
            self._show_detail(event.row_key.value)

    def _show_detail(self, key: str | None) -> None:
        finding = self.findings.get(key) if key is not None else None
        if finding is None and self.findings:
            finding = next(iter(self.findings.values()))
        history = self.histories.get(finding.id) if finding is not None else None
        now, tz = self.ctx.now(), self.ctx.display_tz
        self.query_one(FindingDetail).show(finding, now, tz, history)
        if finding is not None and history is None:
            # Not exclusive: a history that arrives after the cursor moved on is
            # kept for when it comes back, and shown only if it is current.
            self.run_worker(self._fetch_history(finding.id), exit_on_error=False)

    async def _fetch_history(self, finding_id: int) -> None:
        try:
            history = await self.ctx.api.history(finding_id)
        except ControllerError as exc:
            self.fail_quietly(exc)
            return
        self.histories[finding_id] = history
        current = self.current
        if current is not None and current.id == finding_id:
            self.query_one(FindingDetail).show(
                current, self.ctx.now(), self.ctx.display_tz, history
            )
        await self.changed()

    def action_acknowledge(self) -> None:
        finding = self.current
        if finding is None:
            self.notify("this camera has no finding to acknowledge")
            return
        if finding.state != "open":
            self.notify(f"finding #{finding.id} is already {finding.state}")
            return

        def acknowledge(note: str | None) -> None:
            if note is not None:
                self.run_worker(self._acknowledge(finding, note), exit_on_error=False)

        self.app.push_screen(AcknowledgeScreen(finding), acknowledge)

    async def _acknowledge(self, finding: FindingView, note: str) -> None:
        try:
            acked = await self.ctx.api.acknowledge(finding.id, note)
        except ControllerError as exc:
            self.notify(str(exc), title="not acknowledged", severity="error", timeout=10)
            if not exc.refused:
                self.fail_quietly(exc)
        else:
            self.show_finding(acked)
            self.acknowledged += 1
            self.notify(f"◐ finding #{acked.id} acknowledged by {acked.acknowledged_by}",
                        title="acknowledged")
        await self.changed()


def _finding_order(finding: FindingView) -> tuple[int, int, str]:
    """Open before acknowledged before resolved, then most severe first."""
    return (FINDING_STATE_ORDER[finding.state], severity_rank(finding.severity), finding.rule)


def finding_row(finding: FindingView, tz: tzinfo | None) -> Row:
    """One finding as table cells; the row key is the finding id."""
    return (
        str(finding.id),
        (
            severity_text(finding.severity),
            finding.rule,
            finding.title,
            local_time(finding.first_seen, tz),
            finding_state_text(finding.state),
        ),
    )
