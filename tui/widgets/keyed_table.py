"""A DataTable that is updated in place, row by row, by key.

A periodic refresh or a live change must not rebuild the table: that
flickers, loses the cursor and the scroll position. ``sync`` changes only
the cells that changed, adds rows that appeared (at the end) and removes
rows that went; ``upsert``/``drop`` touch one row (a live change);
``rebuild`` lays the rows out again in a new order (a sort or a filter the
operator asked for). All keep the cursor on the row it was on.

Scale: the table draws only the rows in view, but Textual measures every
cell of every new row through Rich to size the columns (about 0.1 ms a
cell: 0.6 s for 5,000 cameras). Our cells are one-line ``Text``, whose width
is its ``cell_len``, so ``_update_dimensions`` sizes the columns from that
first and lets Textual's own do the rest with no rows left to measure.
Plain strings are turned into ``Text`` on the way in, which also stops
Textual from reading ``[brackets]`` in a camera's location as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import RenderableType
from rich.text import Text
from textual.render import measure
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

REBUILD_OVER = 32
"""Removing a row is linear in the table's size (Textual renumbers every
row), so ``sync`` lays out again rather than remove more than this many."""

Row = tuple[str, Sequence[RenderableType]]
"""A row key and one cell per column, in column order."""


class KeyedTable(DataTable[RenderableType]):
    def __init__(self, columns: Sequence[tuple[str, str]], *, id: str | None = None) -> None:
        """``columns``: ``(key, label)`` in display order."""
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._column_keys = tuple(key for key, _ in columns)
        for key, label in columns:
            self.add_column(label, key=key)

    @property
    def keys(self) -> list[str]:
        """Row keys in display order."""
        return [str(row.key.value) for row in self.ordered_rows]

    def sync(self, rows: Sequence[Row]) -> int:
        """Make the table show ``rows``; returns how many cells changed
        (added and removed rows count each of their cells). Rows already
        shown keep their place; new ones go at the end."""
        wanted = {key for key, _ in rows}
        if len(wanted) != len(rows):
            raise ValueError("row keys must be unique")
        cursor_key = self.cursor_key
        changed = 0
        going = [key for key in self.rows if key.value not in wanted]
        if len(going) > REBUILD_OVER:
            kept = [key for key in self.keys if key in wanted]
            by_key = dict(rows)
            known = set(kept)
            self.rebuild([(key, by_key[key]) for key in kept] +
                         [row for row in rows if row[0] not in known])
            return len(going) * len(self._column_keys)
        for row_key in going:
            self.remove_row(row_key)
            changed += len(self._column_keys)
        for row in rows:
            changed += self.upsert(row, keep_cursor=False)
        self._restore_cursor(cursor_key)
        return changed

    def upsert(self, row: Row, *, keep_cursor: bool = True) -> int:
        """Show one row: update its changed cells, or add it at the end.
        Returns how many cells changed."""
        key, raw = row
        cells = self._cells(key, raw)
        if RowKey(key) not in self.rows:
            cursor_key = self.cursor_key
            self.add_row(*cells, key=key)
            if keep_cursor:
                self._restore_cursor(cursor_key)
            return len(cells)
        changed = 0
        for column, cell in zip(self._column_keys, cells, strict=True):
            if self.get_cell(key, column) != cell:
                self.update_cell(key, column, cell, update_width=True)
                changed += 1
        return changed

    def drop(self, key: str) -> bool:
        """Remove one row if shown; True when it was."""
        if RowKey(key) not in self.rows:
            return False
        cursor_key = self.cursor_key
        self.remove_row(key)
        self._restore_cursor(cursor_key)
        return True

    def rebuild(self, rows: Sequence[Row]) -> None:
        """Show exactly ``rows`` in this order (after a sort or a filter).
        Textual keeps no order but insertion, so this lays the rows out
        again; the cursor stays on its row when that row is still shown."""
        if [key for key, _ in rows] == self.keys:
            self.sync(rows)
            return
        cursor_key = self.cursor_key
        self.clear()
        for key, raw in rows:
            self.add_row(*self._cells(key, raw), key=key)
        self._restore_cursor(cursor_key)

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        if not self.row_count or not self.is_valid_row_index(self.cursor_row):
            return None
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return row_key.value

    def _cells(self, key: str, cells: Sequence[RenderableType]) -> list[RenderableType]:
        if len(cells) != len(self._column_keys):
            raise ValueError(
                f"row {key!r} has {len(cells)} cells for {len(self._column_keys)} columns"
            )
        return [Text(cell) if isinstance(cell, str) else cell for cell in cells]

    def _restore_cursor(self, cursor_key: str | None) -> None:
        if cursor_key is not None and RowKey(cursor_key) in self.rows:
            self.move_cursor(row=self.get_row_index(cursor_key), animate=False)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Size the columns for ``new_rows`` cheaply (see the module
        docstring), then let Textual compute the rest with nothing to measure."""
        columns = self.ordered_columns
        widths = [column.content_width for column in columns]
        console = self.app.console
        for row_key in new_rows:
            if row_key not in self.rows:  # removed before the table was idle
                continue
            for index, column in enumerate(columns):
                cell = self.get_cell(row_key, column.key)
                width = (
                    cell.cell_len if isinstance(cell, Text) and "\n" not in cell.plain
                    else measure(console, cell, 1)
                )
                if width > widths[index]:
                    widths[index] = width
        for column, width in zip(columns, widths, strict=True):
            column.content_width = width
        super()._update_dimensions(())
