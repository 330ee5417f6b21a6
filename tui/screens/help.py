"""The help screen (``?``): every key of every screen, and what the marks mean."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("Everywhere", (
        ("f", "the fleet (back to the first screen)"),
        ("a", "alerts: the live feed of findings and agents"),
        ("p", "policies: versions per site, and which agents run them"),
        ("g", "paperwork: register, access requests, self-inspection checklist"),
        ("r", "refresh now"),
        ("ctrl+p", "command palette (every action by name)"),
        ("?", "this help"),
        ("q", "quit"),
    )),
    ("Fleet", (
        ("enter", "open the site"),
        ("/", "filter: words in the name or id; critical, warning, offline"),
        ("s", "sort: attention, name, compliance, agent, site id (or click a header)"),
    )),
    ("Site", (
        ("enter", "open the camera"),
        ("/", "filter: state:missing, state:undeclared, rule:audio, any shown word"),
        ("esc", "back"),
    )),
    ("Camera", (
        ("↑ ↓", "choose a finding: its law, evidence and history show below"),
        ("k", "acknowledge it with a note (operator token)"),
        ("esc", "back"),
    )),
    ("Alerts", (("enter", "open the camera or site"), ("esc", "back"))),
    ("Paperwork", (
        ("1 2 3", "the register (관리대장), access requests (열람 청구), checklist (자체점검표)"),
        ("↑ ↓", "choose an entry, request or item: it shows in full below"),
        ("o", "the next organisation"),
        ("esc", "back"),
    )),
)

MARKS = (
    "✖ critical  ▲ warning  ℹ info   ✔ compliant  ? MISSING  ✚ UNDECLARED  · not audited\n"
    "● open  ◐ acknowledged  ✔ resolved   ● online  ○ OFFLINE   ● live  ○ live updates down\n"
    "Chain ✔ intact  ✖ TAMPERED   Requests ● received  ◐ answered  ✔ closed  ▲ ≤3 d left"
    "  ✖ OVERDUE\n"
    "Checklist ✔ done  ✖ NOT DONE  – n/a  ? needs a person"
)


def help_text() -> Text:
    text = Text()
    for title, keys in KEYS:
        text.append(f"{title}\n", style="bold underline")
        for key, what in keys:
            text.append(f"  {key:<8}", style="bold")
            text.append(f"{what}\n")
    text.append("Marks\n", style="bold underline")
    text.append(MARKS)
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close"),
        Binding("q", "dismiss", "Close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-body {
        width: 92; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(help_text(), id="help-text")
