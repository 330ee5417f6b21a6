"""A table of rows by key, updated in place, that renders only what is in view.

A periodic refresh or a live change must not rebuild the table: that
flickers, loses the cursor and the scroll position. ``sync`` changes only
the cells that changed, adds rows that appeared (at the end) and removes
rows that went; ``upsert``/``drop`` touch one row (a live change);
``rebuild`` lays the rows out again in a new order (a sort or a filter the
operator asked for). All keep the cursor on the row it was on.

Scale (issue 6: 5,000 cameras in under 200 ms): this is a Line API widget
(``ScrollView`` + ``render_line``), not a ``DataTable``. Adding a row is
storing its cells and their widths; a column's width is the widest
``cell_len`` of its one-line ``Text`` cells (no Rich measuring); a line is
rendered only when it comes into view, and kept until a width, the cursor
or the theme changes it. A row whose cells are the same object as last
time (the screens keep their rows) is not converted or measured again.

The cursor row is drawn with the cursor colours *and* a ``▸`` in its left
margin, so that it does not rest on colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets.data_table import ColumnKey, RowKey

Cell = Text | str
"""One line of text; a plain string is shown as it is (never read as markup)."""

Row = tuple[str, Sequence[Cell]]
"""A row key and one cell per column, in column order."""

CURSOR_MARK = "▸"
CACHE_LINES = 1024
"""Rendered lines kept; a screenful is about 40."""


class KeyedTable(ScrollView, can_focus=True):
    """Rows by key under a header; one row has the cursor.

    The messages keep the ``data_table`` namespace of the ``DataTable``
    this replaced, so that handlers such as ``on_data_table_row_selected``
    keep receiving them; they carry the same attributes (``data_table``,
    ``cursor_row``, ``row_key``; ``column_key``/``column_index``/``label``).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "cursor_home", "First row", show=False),
        Binding("end", "cursor_end", "Last row", show=False),
        Binding("enter", "select_cursor", "Select", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keyed-table--header", "keyed-table--cursor", "keyed-table--even-row",
    }

    DEFAULT_CSS = """
    KeyedTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .keyed-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .keyed-table--header { background-tint: $foreground 5%; }
        }
        &:dark > .keyed-table--even-row { background: $surface-darken-1 40%; }
        & > .keyed-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .keyed-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .keyed-table--even-row { background: $surface-lighten-1 50%; }
        & > .keyed-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class RowHighlighted(Message, namespace="data_table"):
        """The cursor is on another row."""

        def __init__(self, table: KeyedTable, cursor_row: int, row_key: str) -> None:
            self.data_table = table
            self.cursor_row = cursor_row
            self.row_key = RowKey(row_key)
            super().__init__()

        @property
        def control(self) -> KeyedTable:
            return self.data_table

    class RowSelected(Message, namespace="data_table"):
        """Enter or a click on a row."""

        def __init__(self, table: KeyedTable, cursor_row: int, row_key: str) -> None:
            self.data_table = table
            self.cursor_row = cursor_row
            self.row_key = RowKey(row_key)
            super().__init__()

        @property
        def control(self) -> KeyedTable:
            return self.data_table

    class HeaderSelected(Message, namespace="data_table"):
        """A click on a column's header."""

        def __init__(self, table: KeyedTable, column_key: str, column_index: int,
                     label: Text) -> None:
            self.data_table = table
            self.column_key = ColumnKey(column_key)
            self.column_index = column_index
            self.label = label
            super().__init__()

        @property
        def control(self) -> KeyedTable:
            return self.data_table

    def __init__(self, columns: Sequence[tuple[str, str]], *, id: str | None = None) -> None:
        """``columns``: ``(key, label)`` in display order."""
        super().__init__(id=id)
        self._column_keys = tuple(key for key, _ in columns)
        self._column_index = {key: index for index, key in enumerate(self._column_keys)}
        self._labels = tuple(Text(label) for _, label in columns)
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._raw: dict[str, Sequence[Cell]] = {}
        """What the caller gave, to know a row it gives again unchanged."""
        self._cells: dict[str, tuple[Text, ...]] = {}
        self._cell_widths: dict[str, tuple[int, ...]] = {}
        self._widths = [label.cell_len for label in self._labels]
        self._cursor = 0
        self._highlighted: str | None = None
        """The row the last RowHighlighted was about."""
        self._lines: dict[tuple[object, ...], Strip] = {}
        self._generation = 0
        """Bumped when every rendered line is stale (widths, theme)."""

    # --- reading ------------------------------------------------------------

    @property
    def keys(self) -> list[str]:
        """Row keys in display order."""
        return list(self._order)

    @property
    def rows(self) -> dict[RowKey, tuple[Text, ...]]:
        """Row key -> cells, in display order."""
        return {RowKey(key): self._cells[key] for key in self._order}

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def cursor_row(self) -> int:
        """Index of the row under the cursor (0 when the table is empty)."""
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        return self._order[self._cursor] if self._order else None

    def get_cell(self, row_key: str | RowKey, column_key: str) -> Text:
        """The cell as shown (plain strings come back as ``Text``); raises
        KeyError for an unknown row or column."""
        key = row_key.value if isinstance(row_key, RowKey) else row_key
        if key is None:
            raise KeyError(row_key)
        return self._cells[key][self._column_index[column_key]]

    # --- changing -----------------------------------------------------------

    def sync(self, rows: Sequence[Row]) -> int:
        """Make the table show ``rows``; returns how many cells changed
        (added and removed rows count each of their cells). Rows already
        shown keep their place; new ones go at the end."""
        wanted = {key for key, _ in rows}
        if len(wanted) != len(rows):
            raise ValueError("row keys must be unique")
        going = [key for key in self._order if key not in wanted]
        changed = len(going) * len(self._column_keys)
        kept = [key for key in self._order if key in wanted]
        known = set(kept)
        for key in going:
            self._forget(key)
        for row in rows:
            changed += self._store(row)
        self._lay_out(kept + [key for key, _ in rows if key not in known])
        return changed

    def upsert(self, row: Row) -> int:
        """Show one row: update its changed cells, or add it at the end.
        Returns how many cells changed."""
        key = row[0]
        new = key not in self._index
        changed = self._store(row)
        if new:
            self._grow_widths(key)
            self._lay_out([*self._order, key], measure=False)
        elif changed:
            self._grow_widths(key)
            self._refresh_rows()
        return changed

    def drop(self, key: str) -> bool:
        """Remove one row if shown; True when it was."""
        if key not in self._index:
            return False
        self._forget(key)
        self._lay_out([k for k in self._order if k != key])
        return True

    def rebuild(self, rows: Sequence[Row]) -> None:
        """Show exactly ``rows`` in this order (after a sort or a filter);
        the cursor stays on its row when that row is still shown."""
        order = [key for key, _ in rows]
        if len(set(order)) != len(order):
            raise ValueError("row keys must be unique")
        for key in self._order:
            self._forget(key)
        for row in rows:
            self._store(row)
        self._lay_out(order)

    def move_cursor(self, row: int) -> None:
        """Put the cursor on row ``row`` (clamped) and scroll it into view."""
        self._set_cursor(row)

    # --- rendering ----------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            strip = self._header_strip()
        else:
            index = scroll_y + y - 1
            if index >= len(self._order):
                return Strip.blank(width, base)
            strip = self._row_strip(index)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._stale()

    def _header_strip(self) -> Strip:
        cache_key = ("header", self._generation, self.has_focus, self.size.width)
        strip = self._lines.get(cache_key)
        if strip is None:
            style = self.rich_style + self.get_component_rich_style("keyed-table--header")
            strip = self._lines[cache_key] = self._strip(self._labels, style, None, mark=" ")
        return strip

    def _row_strip(self, index: int) -> Strip:
        key = self._order[index]
        cursor = index == self._cursor
        cache_key = (key, self._generation, cursor, index % 2, self.has_focus, self.size.width)
        strip = self._lines.get(cache_key)
        if strip is None:
            if len(self._lines) >= CACHE_LINES:
                self._lines.clear()
            style = self.rich_style
            if index % 2 == 0:
                style += self.get_component_rich_style("keyed-table--even-row")
            over = self.get_component_rich_style("keyed-table--cursor") if cursor else None
            strip = self._lines[cache_key] = self._strip(
                self._cells[key], style, over, mark=CURSOR_MARK if cursor else " ")
        return strip

    def _strip(self, cells: Sequence[Text], style: Style, over: Style | None,
               *, mark: str) -> Strip:
        """One line: each cell padded to its column's width, one space
        either side (the first one is ``mark``)."""
        console = self.app.console
        segments = [Segment(mark)]
        for cell, width in zip(cells, self._widths, strict=True):
            if cell.spans:
                segments.extend(cell.render(console))
            else:  # Text.render leaves out the text's own style when it has no spans
                segments.append(Segment(cell.plain, console.get_style(cell.style)))
            segments.append(Segment(" " * (width - cell.cell_len + 2)))
        # No space after the last column; the row's colours run to the edge.
        width = max(self._line_width(), self.scrollable_content_region.width)
        segments[-1] = Segment(" " * (segments[-1].cell_length - 1 + width - self._line_width()))
        return Strip(Segment.apply_style(segments, style, over), width)

    def _line_width(self) -> int:
        return sum(self._widths) + 2 * len(self._widths) - 1

    # --- input --------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self._set_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self._set_cursor(self._cursor - self._page())

    def action_page_down(self) -> None:
        self._set_cursor(self._cursor + self._page())

    def action_cursor_home(self) -> None:
        self._set_cursor(0)

    def action_cursor_end(self) -> None:
        self._set_cursor(len(self._order) - 1)

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, self._cursor, key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        scroll_x, scroll_y = self.scroll_offset
        if offset.y == 0:
            column = self._column_at(offset.x + scroll_x)
            if column is not None:
                self.post_message(self.HeaderSelected(
                    self, self._column_keys[column], column, self._labels[column]))
            return
        index = scroll_y + offset.y - 1
        if index < len(self._order):
            self._set_cursor(index)
            self.action_select_cursor()

    def _column_at(self, x: int) -> int | None:
        right = 0
        for index, width in enumerate(self._widths):
            right += width + 2
            if x < right:
                return index
        return None

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    # --- bookkeeping --------------------------------------------------------

    def _store(self, row: Row) -> int:
        """Keep one row's cells (converted and measured only when they are
        not the very ones kept); returns how many cells changed."""
        key, raw = row
        if len(raw) != len(self._column_keys):
            raise ValueError(
                f"row {key!r} has {len(raw)} cells for {len(self._column_keys)} columns"
            )
        before = self._cells.get(key)
        if self._raw.get(key) is raw and before is not None:
            return 0
        cells = tuple(_one_line(cell) for cell in raw)
        self._raw[key] = raw
        if before == cells:
            return 0
        self._cells[key] = cells
        self._cell_widths[key] = tuple(cell.cell_len for cell in cells)
        if before is None:
            return len(cells)
        return sum(old != new for old, new in zip(before, cells, strict=True))

    def _forget(self, key: str) -> None:
        """Drop what is kept of a row (a row shown again is measured again)."""
        self._raw.pop(key, None)
        self._cells.pop(key, None)
        self._cell_widths.pop(key, None)

    def _lay_out(self, order: list[str], *, measure: bool = True) -> None:
        """Show ``order``; the cursor follows its row, or keeps its index
        when the row went. ``measure=False``: the widths are already right."""
        cursor_key = self.cursor_key
        self._order = order
        self._index = {key: index for index, key in enumerate(order)}
        if measure:
            self._measure()
        self.virtual_size = Size(self._line_width(), len(order) + 1)
        self._refresh_rows()
        index = self._index.get(cursor_key, self._cursor) if cursor_key else 0
        self._set_cursor(index)

    def _measure(self) -> None:
        """Size every column for the rows shown (a few µs a row: widths are kept)."""
        columns = list(zip(*(self._cell_widths[key] for key in self._order), strict=True))
        if not columns:
            columns = [() for _ in self._labels]
        widths = [max((label.cell_len, *column))
                  for label, column in zip(self._labels, columns, strict=True)]
        if widths != self._widths:
            self._widths = widths
            self._stale()

    def _grow_widths(self, key: str) -> None:
        widths = [max(old, new) for old, new in zip(self._widths, self._cell_widths[key],
                                                     strict=True)]
        if widths != self._widths:
            self._widths = widths
            self.virtual_size = Size(self._line_width(), len(self._order) + 1)
            self._stale()

    def _stale(self) -> None:
        self._generation += 1
        self._lines.clear()
        self.refresh()

    def _refresh_rows(self) -> None:
        """Cells or order changed: rendered lines are keyed by row, so only
        a changed row needs dropping; simplest and cheap is all of them."""
        self._lines.clear()
        self.refresh()

    def _set_cursor(self, index: int) -> None:
        self._cursor = max(0, min(index, len(self._order) - 1))
        self.refresh()
        key = self.cursor_key
        if key is not None and self.is_mounted and self.size.height:
            self.scroll_to_region(Region(0, self._cursor + 1, 1, 1),
                                  spacing=Spacing(1, 0, 0, 0), animate=False,
                                  x_axis=False, immediate=True)
        if key != self._highlighted:
            self._highlighted = key
            if key is not None:
                self.post_message(self.RowHighlighted(self, self._cursor, key))


def _one_line(cell: Cell) -> Text:
    """A cell as one line of ``Text`` (a string is never read as markup)."""
    text = Text(cell) if isinstance(cell, str) else cell
    if "\n" in text.plain:
        text = text.split("\n")[0]
    return text
