"""One site: its cameras, declared and found, and how each stands."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header

from schemas.api import CameraView
from tui.context import ConsoleContext
from tui.format import counts_text, state_text
from tui.messages import CameraChosen
from tui.screens.base import DataScreen
from tui.widgets.keyed_table import KeyedTable, Row
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


class SiteScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_camera", "Open camera", priority=True),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, ctx: ConsoleContext, site_id: str) -> None:
        super().__init__(ctx)
        self.site_id = site_id

    DEFAULT_CSS = """
    SiteScreen #cameras { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield SiteSummary(f"loading site {self.site_id}…", id="site-summary")
        yield KeyedTable(CAMERA_COLUMNS, id="cameras")
        yield StatusLine()
        yield Footer()

    async def load(self) -> None:
        api = self.ctx.api
        site = await api.site(self.site_id)
        cameras = await api.all_cameras(self.site_id)
        self.query_one(SiteSummary).show(site, self.ctx.now())
        self.query_one("#cameras", KeyedTable).sync([camera_row(c) for c in cameras])

    def action_open_camera(self) -> None:
        key = self.query_one("#cameras", KeyedTable).cursor_key
        if key is not None:
            self.post_message(CameraChosen(self.site_id, key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(CameraChosen(self.site_id, event.row_key.value))


def camera_row(camera: CameraView) -> Row:
    """One camera as table cells; the row key is the camera key. Undeclared
    and missing cameras carry their state in capitals on the name too."""
    label = camera.name or camera.key
    if camera.state == "undeclared":
        name = Text(f"✚ {label}", style="bold red")
    elif camera.state == "missing":
        name = Text(f"? {label}", style="bold yellow")
    else:
        name = Text(label, style="bold")
    if not camera.camera_id and camera.address and camera.address != label:
        name.append(f" {camera.address}", style="dim")
    device = " ".join(part for part in (camera.manufacturer, camera.model) if part) or "—"
    return (
        camera.key,
        (
            name,
            state_text(camera.state),
            counts_text(camera.findings_open),
            camera.location or "—",
            device,
            camera.firmware or "—",
            Text(camera.camera_id or "(undeclared)", style="dim"),
        ),
    )
