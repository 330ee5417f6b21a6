"""Declared against observed, side by side, wrapped to the terminal width.

A rich Table in a Static rather than a DataTable: the observed side is
prose ("1 of 1 job(s) active; newest footage 50 s old") that must wrap at
80 columns rather than scroll sideways. ``show`` repaints only when a value
changed, so a periodic refresh does not redraw it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.compare import ASPECT_LABEL, NOT_DECLARED, NOT_OBSERVED

ComparisonRows = Sequence[tuple[str, str, str]]


def _cell(value: str) -> Text:
    if value in (NOT_DECLARED, NOT_OBSERVED):
        return Text(value, style="dim italic")
    # Words in capitals mark what breaks the policy (AUDIO ENCODED, UNLIMITED, NO NTP):
    # they carry the signal in words, the colour only repeats it.
    loud = any(word.isupper() and len(word) > 2 for word in value.replace(";", " ").split())
    return Text(value, style="bold red" if loud else "")


def comparison_table(rows: ComparisonRows) -> Table:
    table = Table(expand=True, box=None, padding=(0, 1), show_edge=False)
    table.add_column("Aspect", style="bold", no_wrap=True)
    table.add_column("Declared", ratio=2)
    table.add_column("Observed", ratio=3)
    for aspect, declared, observed in rows:
        table.add_row(ASPECT_LABEL[aspect], _cell(declared), _cell(observed))
    return table


class ComparePanel(Static):
    DEFAULT_CSS = """
    ComparePanel {
        height: auto;
        padding: 0 0 1 0;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.rows: tuple[tuple[str, str, str], ...] = ()

    def show(self, rows: ComparisonRows) -> bool:
        """Show ``rows``; False (and no repaint) when nothing changed."""
        rows = tuple(rows)
        if rows == self.rows:
            return False
        self.rows = rows
        self.update(comparison_table(rows))
        return True
