"""A table of rows by key, updated in place, that renders only what is in view.

A periodic refresh or a live change must not rebuild the table: that
flickers, loses the cursor and the scroll position. ``sync`` changes only
the cells that changed, adds rows that appeared (at the end) and removes
rows that went; ``upsert``/``drop`` touch one row (a live change);
``rebuild`` lays the rows out again in a new order (a sort or a filter the
operator asked for); ``extend`` adds rows after the last (a page that
arrived), measuring only them. All keep the cursor on the row it was on.

A table given ``make`` holds made rows instead (``keyed_rows``): the
caller shows keys with the columns' widths it measured from its own data
(``show``, ``extend_keys``, ``upsert_key``; ``drop`` as for any row), and
a row's cells are made only when its line is drawn.

Scale (issue 6: 5,000 cameras in under 200 ms): this is a Line API widget
(``ScrollView`` + ``render_line``), not a ``DataTable``. Adding a row is
storing its cells and their widths (``keyed_rows``); a line is rendered
only when it comes into view, and kept until its row, a width, the cursor
or the theme changes.

The cursor row is drawn with the cursor colours *and* a ``▸`` in its left
margin, so that it does not rest on colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.cells import cell_len
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

from tui.widgets.keyed_rows import Cell, KeyedRows, MakeCells, Row

__all__ = ["Cell", "KeyedTable", "MakeCells", "Row"]

CURSOR_MARK = "▸"
CACHE_LINES = 1024
"""Rendered lines kept; a screenful is about 40."""
CACHE_CELLS = 4096
"""Styled cells' segments kept, by cell object: the screens share one cell
between every row that shows the same state or counts."""


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

    class _RowMessage(Message):
        def __init__(self, table: KeyedTable, cursor_row: int, row_key: str) -> None:
            self.data_table = table
            self.cursor_row = cursor_row
            self.row_key = RowKey(row_key)
            super().__init__()

        @property
        def control(self) -> KeyedTable:
            return self.data_table

    class RowHighlighted(_RowMessage, namespace="data_table"):
        """The cursor is on another row."""

    class RowSelected(_RowMessage, namespace="data_table"):
        """Enter or a click on a row."""

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

    def __init__(self, columns: Sequence[tuple[str, str]], *, id: str | None = None,
                 styles: Mapping[str, str] | None = None, make: MakeCells | None = None) -> None:
        """``columns``: ``(key, label)`` in display order. ``styles``: column
        key -> the Rich style its plain-string cells are drawn in (``Text``
        cells keep their own): a row of plain strings costs no ``Text``.
        ``make``: the table holds made rows (see the module): a shown row's
        key -> its cells, called when the row is drawn or read."""
        super().__init__(id=id)
        self._column_keys = tuple(key for key, _ in columns)
        unknown = set(styles or {}) - set(self._column_keys)
        if unknown:
            raise ValueError(f"styles for columns that are not in the table: {sorted(unknown)}")
        self._column_styles = tuple((styles or {}).get(key, "") for key in self._column_keys)
        """Per column, in display order; "" for none."""
        self._column_index = {key: index for index, key in enumerate(self._column_keys)}
        self._rows = KeyedRows([label for _, label in columns], make)
        self._cursor = 0
        self._highlighted: str | None = None
        """The row the last RowHighlighted was about."""
        self._lines: dict[tuple[object, ...], Strip] = {}
        self._segments: dict[int, tuple[Text, list[Segment]]] = {}
        """id of a cell with spans -> (the cell, kept alive; its segments):
        a column's width changing redraws every line in view, not every
        cell's styles."""
        self._generation = 0
        """Bumped when every rendered line is stale (widths, theme)."""

    # --- reading ------------------------------------------------------------

    @property
    def keys(self) -> list[str]:
        """Row keys in display order."""
        return list(self._rows.order)

    @property
    def rows(self) -> dict[RowKey, tuple[Text, ...]]:
        """Row key -> cells as shown, in display order."""
        styles = self._column_styles
        return {RowKey(key): tuple(_text(cell, style) for cell, style
                                   in zip(self._rows.cells_of(key), styles, strict=True))
                for key in self._rows.order}

    @property
    def row_count(self) -> int:
        return len(self._rows.order)

    @property
    def cursor_row(self) -> int:
        """Index of the row under the cursor (0 when the table is empty)."""
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        order = self._rows.order
        return order[self._cursor] if order else None

    def get_cell(self, row_key: str | RowKey, column_key: str) -> Text:
        """The cell as shown (plain strings come back as ``Text``); raises
        KeyError for an unknown row or column."""
        key = row_key.value if isinstance(row_key, RowKey) else row_key
        if key is None or key not in self._rows.index:
            raise KeyError(row_key)
        index = self._column_index[column_key]
        return _text(self._rows.cells_of(key)[index], self._column_styles[index])

    # --- changing -----------------------------------------------------------

    def sync(self, rows: Sequence[Row]) -> int:
        """Make the table show ``rows``; returns how many cells changed
        (added and removed rows count each of their cells). Rows already
        shown keep their place; new ones go at the end."""
        wanted = {key for key, _ in rows}
        if len(wanted) != len(rows):
            raise ValueError("row keys must be unique")
        order = self._rows.order
        going = [key for key in order if key not in wanted]
        changed = len(going) * len(self._column_keys)
        kept = [key for key in order if key in wanted]
        known = set(kept)
        for key in going:
            self._rows.forget(key)
        for key, _ in rows:
            if key not in known:
                self._rows.forget(key)  # hidden by a filter: shown again, counted as added
        for row in rows:
            changed += self._rows.store(row)
        self._lay_out(kept + [key for key, _ in rows if key not in known])
        return changed

    def upsert(self, row: Row) -> int:
        """Show one row: update its changed cells, or add it at the end.
        Returns how many cells changed."""
        key = row[0]
        new = key not in self._rows.index
        if new:
            self._rows.forget(key)  # hidden by a filter: shown again, counted as added
        changed = self._rows.store(row)
        if self._rows.grow(key):
            self._stale()
        if new:
            self._lay_out([*self._rows.order, key], measure=False)
        elif changed:
            self._refresh_rows()
        return changed

    def drop(self, key: str) -> bool:
        """Remove one row if shown; True when it was."""
        if key not in self._rows.index:
            return False
        self._rows.forget(key)
        self._lay_out([k for k in self._rows.order if k != key])
        return True

    def rebuild(self, rows: Sequence[Row]) -> None:
        """Show exactly ``rows`` in this order (after a sort or a filter);
        the cursor stays on its row when that row is still shown. Rows it
        hides stay stored: given again (the same cells object), they are
        shown again without being converted or measured."""
        order = [key for key, _ in rows]
        self._check_keys(order)
        for row in rows:
            self._rows.store(row)
        self._lay_out(order)

    def extend(self, rows: Sequence[Row]) -> None:
        """Add ``rows`` after the last row (a page that arrived): only they
        are stored and measured, lines already drawn stay valid, and the
        cursor and the scroll position do not move. Raises ValueError for
        a key already shown."""
        keys = [key for key, _ in rows]
        self._check_keys(keys, new=True)
        if not keys:
            return
        for row in rows:
            self._rows.store(row)
        start = len(self._rows.order)
        self._extended(start, self._rows.append(keys))

    def show(self, keys: Sequence[str], widths: Sequence[int]) -> None:
        """Made rows: show exactly ``keys`` in this order, ``widths`` each
        column's widest cell among them (see ``keyed_rows.text_width``);
        the cursor stays on its row when that row is still shown. Every
        line is drawn again (their cells may have changed)."""
        order = list(keys)
        self._check_keys(order)
        self._lay_out(order, widths=widths)

    def extend_keys(self, keys: Sequence[str], widths: Sequence[int]) -> None:
        """Made rows: ``extend`` by key, ``widths`` the widest cells of
        these rows only (the columns only ever widen here)."""
        self._check_keys(keys, new=True)
        if keys:
            start = len(self._rows.order)
            self._extended(start, self._rows.append(keys, widths))

    def upsert_key(self, key: str, widths: Sequence[int]) -> None:
        """Made rows: the row ``key`` changed, or is new (it goes at the
        end); ``widths`` are its cells'. Its line is drawn again."""
        if self._rows.widen(widths):
            self._stale()
        if key not in self._rows.index:
            self._lay_out([*self._rows.order, key], measure=False)
        else:
            self._refresh_rows()

    def _extended(self, start: int, widened: bool) -> None:
        """Rows were added from row ``start`` on (``extend``): only the
        lines that changed are drawn again, the scroll bar grows."""
        if widened:
            self._stale()
        elif start < self.scroll_offset.y + self.scrollable_content_region.height:
            self.refresh()  # some of the new rows are in view
        self._grow_to(Size(self._rows.line_width, len(self._rows.order) + 1))
        if start == 0:
            self._set_cursor(0)

    def _grow_to(self, size: Size) -> None:
        """A longer list, below what is shown, perhaps wider. Setting
        ``virtual_size`` lays the whole screen out again (its reactive says
        so), once per page that arrives: needed when the scroll bars change,
        not when the vertical one is shown already and stays, and the
        horizontal one stays as it is (shown, or not needed for the new
        width either: Textual's ``_refresh_scrollbars`` rule, the vertical
        bar shown). Then the size is set without the lay-out, and the bars
        told their new extents."""
        before = self.virtual_size
        fits = size.width <= self.container_size.width - self.styles.scrollbar_size_vertical
        if (self.show_vertical_scrollbar and size.height >= before.height
                and size.width >= before.width and self.show_horizontal_scrollbar is not fits
                and self.styles.overflow_x == "auto"):
            self.set_reactive(KeyedTable.virtual_size, size)
            self.vertical_scrollbar.window_virtual_size = size.height
            if self.show_horizontal_scrollbar:
                self.horizontal_scrollbar.window_virtual_size = size.width
        else:
            self.virtual_size = size

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
            if index >= len(self._rows.order):
                return Strip.blank(width, base)
            strip = self._row_strip(index)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._segments.clear()
        self._stale()

    def _header_strip(self) -> Strip:
        cache_key = ("header", self._generation, self.has_focus, self.size.width)
        strip = self._lines.get(cache_key)
        if strip is None:
            style = self.rich_style + self.get_component_rich_style("keyed-table--header")
            strip = self._lines[cache_key] = self._strip(self._rows.labels, style, None, mark=" ")
        return strip

    def _row_strip(self, index: int) -> Strip:
        key = self._rows.order[index]
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
                self._rows.cells_of(key), style, over, mark=CURSOR_MARK if cursor else " ")
        return strip

    def _strip(self, cells: Sequence[Cell], style: Style, over: Style | None,
               *, mark: str) -> Strip:
        """One line: each cell padded to its column's width, one space
        either side (the first one is ``mark``)."""
        console = self.app.console
        # As Text(cell, style=...) renders a plain string: its style, or none.
        column_styles = [console.get_style(style) if style else None
                         for style in self._column_styles]
        segments = [Segment(mark)]
        for cell, width, column_style in zip(cells, self._rows.widths, column_styles,
                                             strict=True):
            if isinstance(cell, str):
                segments.append(Segment(cell, column_style))
                segments.append(Segment(" " * (width - cell_len(cell) + 2)))
                continue
            if cell.spans:
                segments.extend(self._styled(cell))
            else:  # Text.render leaves out the text's own style when it has no spans
                segments.append(Segment(cell.plain, console.get_style(cell.style)))
            segments.append(Segment(" " * (width - cell.cell_len + 2)))
        # No space after the last column; the row's colours run to the edge.
        line_width = self._rows.line_width
        width = max(line_width, self.scrollable_content_region.width)
        segments[-1] = Segment(" " * (segments[-1].cell_length - 1 + width - line_width))
        return Strip(Segment.apply_style(segments, style, over), width)

    def _styled(self, cell: Text) -> list[Segment]:
        known = self._segments.get(id(cell))
        if known is not None and known[0] is cell:
            return known[1]
        if len(self._segments) >= CACHE_CELLS:
            self._segments.clear()
        segments = list(cell.render(self.app.console))
        self._segments[id(cell)] = (cell, segments)
        return segments

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
        self._set_cursor(len(self._rows.order) - 1)

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
            column = self._rows.column_at(offset.x + scroll_x)
            if column is not None:
                self.post_message(self.HeaderSelected(
                    self, self._column_keys[column], column, self._rows.labels[column]))
            return
        index = scroll_y + offset.y - 1
        if index < len(self._rows.order):
            self._set_cursor(index)
            self.action_select_cursor()

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    # --- bookkeeping --------------------------------------------------------

    def _check_keys(self, keys: Sequence[str], *, new: bool = False) -> None:
        """ValueError unless ``keys`` are unique (and, ``new``, none shown yet)."""
        if len(set(keys)) != len(keys) or (new and not self._rows.index.keys().isdisjoint(keys)):
            raise ValueError("row keys must be unique")

    def _lay_out(self, order: list[str], *, measure: bool = True,
                 widths: Sequence[int] | None = None) -> None:
        """Show ``order`` (``KeyedRows.lay_out``); the cursor follows its
        row, or keeps its index when the row went."""
        cursor_key = self.cursor_key
        if self._rows.lay_out(order, measure=measure, widths=widths):
            self._stale()
        self.virtual_size = Size(self._rows.line_width, len(order) + 1)
        self._refresh_rows()
        self._set_cursor(self._rows.index.get(cursor_key, self._cursor) if cursor_key else 0)

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
        self._cursor = max(0, min(index, len(self._rows.order) - 1))
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


def _text(cell: Cell, style: str) -> Text:
    """A cell as ``Text`` (a plain string as it is, never read as markup,
    in its column's ``style``)."""
    return Text(cell, style=style) if isinstance(cell, str) else cell
