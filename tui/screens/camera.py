"""One camera: declared against observed, and its findings in full."""

from __future__ import annotations

from datetime import tzinfo
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header

from schemas.api import CameraDetail, FindingView, SiteView
from schemas.rules import severity_rank
from tui.compare import comparison
from tui.context import ConsoleContext
from tui.format import finding_state_text, local_time, severity_text
from tui.screens.base import DataScreen
from tui.widgets.camera_card import CameraCard
from tui.widgets.compare_panel import ComparePanel
from tui.widgets.finding_detail import FindingDetail
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
    in full below it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    DEFAULT_CSS = """
    CameraScreen #camera-body { height: 1fr; }
    CameraScreen #findings { height: auto; max-height: 8; }
    """

    def __init__(self, ctx: ConsoleContext, site_id: str, camera_key: str) -> None:
        super().__init__(ctx)
        self.site_id = site_id
        self.camera_key = camera_key
        self.findings: dict[str, FindingView] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="camera-body"):
            yield CameraCard(f"loading camera {self.camera_key}…", id="camera-card")
            yield ComparePanel(id="compare")
            yield KeyedTable(FINDING_COLUMNS, id="findings")
            yield FindingDetail("", id="finding-detail")
        yield StatusLine()
        yield Footer()

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
        table = self.query_one("#findings", KeyedTable)
        table.sync([finding_row(f, tz) for f in ordered])
        self._show_detail(table.cursor_key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "findings":
            self._show_detail(event.row_key.value)

    def _show_detail(self, key: str | None) -> None:
        finding = self.findings.get(key) if key is not None else None
        if finding is None and self.findings:
            finding = next(iter(self.findings.values()))
        self.query_one(FindingDetail).show(finding, self.ctx.now(), self.ctx.display_tz)


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
