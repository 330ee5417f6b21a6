"""The header of every screen: Textual's ``Header``, whose title does not
lay the screen out.

``Header`` sets its title from four watchers (the app's and the screen's
title and sub-title), each run once when it mounts, and each through
``Static.update``, which asks for a lay-out of the screen in case the
text changed size. The title's box is fixed (the header's one line, its
whole width between icon and clock space, the text cut with an ellipsis),
so no text changes its size: here an update repaints the title, and one
that shows what is shown already does nothing. Opening a 5,000-camera
site laid the screen out once more for it, ~10 ms on two shared cores
(issue 6).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.visual import VisualType
from textual.widgets import Header
from textual.widgets._header import HeaderClock, HeaderClockSpace, HeaderIcon, HeaderTitle


class FixedTitle(HeaderTitle):
    """``HeaderTitle`` repainted, never laid out, by an update."""

    _shown: VisualType | None = None

    def update(self, content: VisualType = "", *, layout: bool = False) -> None:
        if content == self._shown:
            return
        self._shown = content
        super().update(content, layout=layout)


class ConsoleHeader(Header):
    """``Header`` with a ``FixedTitle`` (see the module)."""

    def compose(self) -> ComposeResult:
        # As Header.compose, but for the title's class.
        yield HeaderIcon().data_bind(Header.icon)
        yield FixedTitle()
        if self._show_clock:
            yield HeaderClock().data_bind(Header.time_format)
        else:
            yield HeaderClockSpace()
