"""A DataTable that is updated in place, row by row, by key.

A periodic refresh must not rebuild the table: that flickers, loses the
cursor and the scroll position. ``sync`` changes only the cells that
changed, adds rows that appeared (at the end) and removes rows that went,
and keeps the cursor on the row it was on.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

Row = tuple[str, Sequence[RenderableType]]
"""A row key and one cell per column, in column order."""


class KeyedTable(DataTable[RenderableType]):
    def __init__(self, columns: Sequence[tuple[str, str]], *, id: str | None = None) -> None:
        """``columns``: ``(key, label)`` in display order."""
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._column_keys = tuple(key for key, _ in columns)
        for key, label in columns:
            self.add_column(label, key=key)

    def sync(self, rows: Sequence[Row]) -> int:
        """Make the table show ``rows``; returns how many cells changed
        (added and removed rows count each of their cells)."""
        wanted = {key for key, _ in rows}
        if len(wanted) != len(rows):
            raise ValueError("row keys must be unique")
        cursor_key = self.cursor_key
        changed = 0
        for row_key in [key for key in self.rows if key.value not in wanted]:
            self.remove_row(row_key)
            changed += len(self._column_keys)
        for key, cells in rows:
            if len(cells) != len(self._column_keys):
                raise ValueError(
                    f"row {key!r} has {len(cells)} cells for {len(self._column_keys)} columns"
                )
            if RowKey(key) not in self.rows:
                self.add_row(*cells, key=key)
                changed += len(cells)
                continue
            for column, cell in zip(self._column_keys, cells, strict=True):
                if self.get_cell(key, column) != cell:
                    self.update_cell(key, column, cell, update_width=True)
                    changed += 1
        if cursor_key is not None and cursor_key in wanted:
            self.move_cursor(row=self.get_row_index(cursor_key), animate=False)
        return changed

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        if not self.row_count or not self.is_valid_row_index(self.cursor_row):
            return None
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return row_key.value
