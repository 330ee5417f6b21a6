"""The acknowledge dialog: which finding, and the operator's note."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from schemas.api import FindingView
from tui.format import severity_text


class AcknowledgeScreen(ModalScreen[str | None]):
    """Dismissed with the note (Enter, not empty) or None (Escape). The
    note says what is being done about it: the controller keeps it in the
    finding's history for the inspector."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    AcknowledgeScreen { align: center middle; }
    AcknowledgeScreen #ack-dialog {
        width: 76; max-width: 100%; height: auto;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    AcknowledgeScreen #ack-note { margin-top: 1; }
    """

    def __init__(self, finding: FindingView) -> None:
        super().__init__()
        self.finding = finding

    def compose(self) -> ComposeResult:
        text = Text("Acknowledge finding ", style="bold")
        text.append(f"#{self.finding.id}\n")
        text.append_text(severity_text(self.finding.severity))
        text.append(f"  {self.finding.rule}\n{self.finding.title}\n")
        text.append("The note goes into the finding's history. Enter: acknowledge · Esc: cancel",
                    style="dim")
        with Vertical(id="ack-dialog"):
            yield Static(text)
            yield Input(placeholder="what is being done about it (required)",
                        max_length=2000, id="ack-note")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        note = event.value.strip()
        if not note:
            self.notify("a note is required: say what is being done about it",
                        severity="warning")
            return
        self.dismiss(note)

    def action_cancel(self) -> None:
        self.dismiss(None)
