"""The one-line connection status at the foot of every screen.

It sits in the normal flow just above the Footer (not docked: two widgets
docked to the same edge overlap)."""

from __future__ import annotations

from textual.widgets import Static


class StatusLine(Static):
    """Shows ``tui.link.Link.status``; bad news gets the ``-bad`` class (a
    red background) and always starts with ``✖`` so colour is not the only
    signal."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    StatusLine.-bad {
        background: $error;
        color: $text;
        text-style: bold;
    }
    """

    def show(self, text: str, bad: bool) -> None:
        self.update(text, layout=False)  # one line high whatever it says: no layout of the screen
        self.set_class(bad, "-bad")

    @property
    def text(self) -> str:
        return str(self.content)
