"""What ``KeyedTable`` shows, without the drawing: rows by key in display
order, their one-line cells and the columns' widths.

Pure bookkeeping, so that 5,000 rows cost dict and int work only: a cell's
width is its ``cell_len`` (one line: no Rich measuring), kept per row; a
plain string stays a string (no ``Text`` is made for it); a row given
again as the very same cells object (the screens keep their rows) is
neither converted nor measured again, and a row hidden by a new order (a
filter) is kept, so showing it again costs nothing either.

Made rows (``make``) cost less still: only their keys are kept, in order,
with the columns' widths as the caller measured them from its own data
(``text_width``); a row's cells are made when it is drawn or read. That is
for a list of thousands where a screenful is seen at a time (a site's
cameras, issue 6): 5,000 rows stored were ~35,000 objects made and kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.cells import cell_len
from rich.text import Text

Cell = Text | str
"""One line of text; a plain string is shown as it is (never read as markup)."""

Row = tuple[str, Sequence[Cell]]
"""A row key and one cell per column, in column order."""

MakeCells = Callable[[str], Sequence[Cell]]
"""A made row's cells, from its key (see the module)."""


def cell_width(plain: str) -> int:
    """The cells that the first line of ``plain`` takes on screen."""
    if "\n" in plain:
        plain = plain.partition("\n")[0]
    # Printable ASCII is one cell a character (what cell_len says, without its calls).
    return len(plain) if plain.isascii() and plain.isprintable() else cell_len(plain)


def text_width(plains: Iterable[str]) -> int:
    """The widest of ``plains`` (``cell_width``), 0 for none: what a made
    row's caller measures a column with, for thousands of rows at a time.
    Printable ASCII, nearly all of it, is measured by ``len`` in C loops
    (all of it at once when joined with a space, printable ASCII too, it
    is); only the rest is measured one by one."""
    values = list(plains)
    joined = " ".join(values)
    if joined.isascii() and joined.isprintable():
        return max(map(len, values), default=0)
    simple = [value for value in values if value.isascii() and value.isprintable()]
    other = [value for value in values if not (value.isascii() and value.isprintable())]
    return max(max(map(len, simple), default=0), max(map(cell_width, other), default=0))


def one_line(cells: Sequence[Cell]) -> tuple[Cell, ...]:
    """``cells`` cut at their first line break (a row is one line)."""
    shown: list[Cell] = []
    for cell in cells:
        if isinstance(cell, str):
            if "\n" in cell:
                cell = cell.partition("\n")[0]
        elif "\n" in cell.plain:
            cell = cell.split("\n")[0]
        shown.append(cell)
    return tuple(shown)


class KeyedRows:
    def __init__(self, labels: Sequence[str], make: MakeCells | None = None) -> None:
        """``make``: the rows are made rows (see the module): shown by key
        with ``lay_out``/``append`` given their widths, never ``store``d."""
        self.labels = tuple(Text(label) for label in labels)
        self.make = make
        self.order: list[str] = []
        self.index: dict[str, int] = {}
        """Row key -> its place in ``order``."""
        self.cells: dict[str, tuple[Cell, ...]] = {}
        """Row key -> its cells, one line each; rows shown and rows hidden
        by the last ``lay_out`` alike (``forget`` drops one)."""
        self.widths = [label.cell_len for label in self.labels]
        """Each column's width: its widest cell or its label."""
        self._raw: dict[str, Sequence[Cell]] = {}
        """What the caller gave, to know a row it gives again unchanged."""
        self._cell_widths: dict[str, tuple[int, ...]] = {}

    @property
    def line_width(self) -> int:
        """A whole line: the columns with a space either side, less the last."""
        return sum(self.widths) + 2 * len(self.widths) - 1

    def cells_of(self, key: str) -> tuple[Cell, ...]:
        """A shown row's cells, one line each (a made row's made now, not
        kept: the table keeps the lines it drew). KeyError for a row not
        stored; ValueError for made cells of the wrong length."""
        if self.make is None:
            return self.cells[key]
        cells = one_line(self.make(key))
        if len(cells) != len(self.labels):
            raise ValueError(f"row {key!r} has {len(cells)} cells for {len(self.labels)} columns")
        return cells

    def store(self, row: Row) -> int:
        """Keep one row's cells (not yet shown: see ``lay_out``); returns
        how many cells changed. Raises ValueError for a row of the wrong
        length, or in a table of made rows."""
        if self.make is not None:
            raise ValueError("a table of made rows is given keys and widths, not rows")
        key, raw = row
        if len(raw) != len(self.labels):
            raise ValueError(f"row {key!r} has {len(raw)} cells for {len(self.labels)} columns")
        before = self.cells.get(key)
        if self._raw.get(key) is raw and before is not None:
            return 0
        shown: list[Cell] = []
        widths: list[int] = []
        for cell in raw:  # one loop, no generators or calls: every cell of 2,000 rows
            if isinstance(cell, str):
                if "\n" in cell:
                    cell = cell.partition("\n")[0]
                plain = cell
            else:
                plain = cell.plain
                if "\n" in plain:
                    cell = cell.split("\n")[0]
                    plain = cell.plain
            # As cell_width says, inline.
            widths.append(len(plain) if plain.isascii() and plain.isprintable()
                          else cell_len(plain))
            shown.append(cell)
        cells = tuple(shown)
        self._raw[key] = raw
        if before == cells:
            return 0
        self.cells[key] = cells
        self._cell_widths[key] = tuple(widths)
        if before is None:
            return len(cells)
        return sum(old != new for old, new in zip(before, cells, strict=True))

    def forget(self, key: str) -> None:
        """Drop what is kept of a row (a row shown again is measured again)."""
        self._raw.pop(key, None)
        self.cells.pop(key, None)
        self._cell_widths.pop(key, None)

    def lay_out(self, order: list[str], *, measure: bool = True,
                widths: Sequence[int] | None = None) -> bool:
        """Show the stored rows ``order``; True when a column's width changed.
        ``measure=False``: the widths are known to be right (``grow`` did it).
        ``widths``: made rows, each column's widest cell among them (the
        labels are counted here); without them made rows keep the widths
        they had (a row dropped: the columns do not narrow)."""
        self.order = order
        self.index = {key: index for index, key in enumerate(order)}
        if widths is not None:
            return self._set_widths([max(label.cell_len, width) for label, width
                                     in zip(self.labels, widths, strict=True)])
        return self.measure() if measure and self.make is None else False

    def measure(self) -> bool:
        """Size every column for the rows shown; True when a width changed."""
        columns = list(zip(*(self._cell_widths[key] for key in self.order), strict=True))
        if not columns:
            columns = [() for _ in self.labels]
        return self._set_widths([max((label.cell_len, *column))
                                 for label, column in zip(self.labels, columns, strict=True)])

    def grow(self, key: str) -> bool:
        """Widen the columns for one stored row; True when a width changed."""
        return self.grow_for([key])

    def grow_for(self, keys: Sequence[str]) -> bool:
        """Widen the columns for these stored rows only (rows added after
        the others: the rest are measured already); True when a width
        changed."""
        columns = zip(self.widths, *(self._cell_widths[key] for key in keys), strict=True)
        return self._set_widths([max(column) for column in columns])

    def append(self, keys: Sequence[str], widths: Sequence[int] | None = None) -> bool:
        """Show the stored rows ``keys`` after the rows shown (none of them
        shown yet); True when a column's width changed. Only these rows
        are measured; made rows come with ``widths``, their widest cells."""
        start = len(self.order)
        self.order.extend(keys)
        self.index.update(zip(keys, range(start, start + len(keys)), strict=True))
        if widths is not None:
            return self.widen(widths)
        return self.grow_for(keys)

    def widen(self, widths: Sequence[int]) -> bool:
        """Widen the columns to at least ``widths``; True when one changed."""
        return self._set_widths([max(pair) for pair in zip(self.widths, widths, strict=True)])

    def column_at(self, x: int) -> int | None:
        """The column under cell ``x`` of a line, if any."""
        right = 0
        for index, width in enumerate(self.widths):
            right += width + 2
            if x < right:
                return index
        return None

    def _set_widths(self, widths: list[int]) -> bool:
        if widths == self.widths:
            return False
        self.widths = widths
        return True

