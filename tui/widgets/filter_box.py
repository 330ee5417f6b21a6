"""The one-line filter box over a table: ``/`` to type, ``Esc`` to leave it."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input


class FilterBox(Input):
    """An Input one line high (no border, so it fits 80×24). Escape clears
    nothing: it gives the focus back to the table below."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "leave", "Back to the table")]

    DEFAULT_CSS = """
    FilterBox {
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    FilterBox:focus {
        border: none;
        background: $primary 30%;
    }
    """

    def action_leave(self) -> None:
        self.screen.focus_next()
