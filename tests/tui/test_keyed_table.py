"""The console's table on its own: rows by key kept in place, the cursor
staying on its row, only the lines in view rendered, keys and messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.pilot import Pilot
from textual.strip import Strip

from tui.widgets.keyed_rows import KeyedRows
from tui.widgets.keyed_table import KeyedTable, Row

COLUMNS = (("name", "Name"), ("state", "State"))
SIZE = (60, 20)
"""20 lines: the table gets all of them; 1 header, 19 rows in view."""


def rows(*keys: str, state: str = "✔ ok") -> list[Row]:
    return [(key, (Text(f"cam {key}", style="bold"), state)) for key in keys]


class Counting(KeyedTable):
    """Counts which rows were drawn."""

    def __init__(self) -> None:
        super().__init__(COLUMNS, id="table")
        self.drawn: set[int] = set()

    def render_line(self, y: int) -> Strip:
        if y:
            self.drawn.add(self.scroll_offset.y + y - 1)
        return super().render_line(y)


class TableApp(App[None]):
    CSS = "#table { height: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.highlighted: list[str | None] = []
        self.selected: list[str | None] = []
        self.headers: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield Counting()

    @property
    def table(self) -> Counting:
        return self.query_one(Counting)

    def on_data_table_row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        self.highlighted.append(event.row_key.value)

    def on_data_table_row_selected(self, event: KeyedTable.RowSelected) -> None:
        self.selected.append(event.row_key.value)

    def on_data_table_header_selected(self, event: KeyedTable.HeaderSelected) -> None:
        self.headers.append(event.column_key.value)


@asynccontextmanager
async def shown(*keys: str) -> AsyncIterator[tuple[Counting, Pilot[None]]]:
    """A running ``TableApp`` whose table shows ``rows(*keys)``."""
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        app.table.sync(rows(*keys))
        yield app.table, pilot


def the_app(table: KeyedTable) -> TableApp:
    assert isinstance(table.app, TableApp)
    return table.app


async def test_sync_keeps_places_and_cursor_adds_at_the_end() -> None:
    async with shown() as (table, pilot):
        assert table.sync(rows("a", "b", "c")) == 6
        await pilot.press("down")
        assert table.cursor_key == "b"
        changed = table.sync(rows("d", "c", "b"))  # "a" goes, "d" is new
        assert (table.keys, table.cursor_key, changed) == (["b", "c", "d"], "b", 4)
        assert table.cursor_row == 0


async def test_sync_counts_only_changed_cells() -> None:
    async with shown("a", "b") as (table, _):
        assert table.sync(rows("a", "b")) == 0
        assert table.sync(rows("a") + rows("b", state="✖ 1 critical")) == 1
        assert table.get_cell("b", "state").plain == "✖ 1 critical"


async def test_upsert_and_drop_keep_the_cursor_on_its_row() -> None:
    async with shown("a", "b", "c") as (table, pilot):
        await pilot.press("end")
        assert table.cursor_key == "c"
        assert table.upsert(rows("z")[0]) == 2
        assert (table.keys[-1], table.cursor_key) == ("z", "c")
        assert table.drop("a") and not table.drop("a")
        assert (table.keys, table.cursor_key) == (["b", "c", "z"], "c")


async def test_drop_of_the_cursor_row_leaves_the_cursor_in_place() -> None:
    async with shown("a", "b", "c") as (table, pilot):
        await pilot.press("down")
        table.drop("b")
        assert table.cursor_key == "c"


async def test_rebuild_reorders_and_follows_the_cursor() -> None:
    async with shown("a", "b", "c") as (table, pilot):
        await pilot.press("down")
        table.rebuild(rows("c", "b"))
        assert (table.keys, table.cursor_key, table.cursor_row) == (["c", "b"], "b", 1)
        table.rebuild(rows("a"))  # the cursor's row is filtered out
        assert table.cursor_key == "a"
        table.rebuild([])
        assert table.row_count == 0
        assert table.cursor_key is None


async def test_columns_are_as_wide_as_their_widest_cell() -> None:
    async with shown() as (table, pilot):
        table.sync([("a", ("a", "[b]not markup[/b]"))])
        await pilot.pause()
        line = table.render_line(1).text
        assert line.startswith("▸a     [b]not markup[/b]"), line
        table.rebuild([("a", ("a", "short"))])  # a filter: widths shrink again
        assert table.render_line(0).text.rstrip() == " Name  State"


async def test_only_the_rows_in_view_are_drawn() -> None:
    async with shown(*(f"{i:05d}" for i in range(5000))) as (table, pilot):
        await pilot.pause()
        assert table.row_count == 5000
        assert table.drawn == set(range(19))
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_key == "04999"
        assert table.drawn == set(range(19)) | set(range(4981, 5000))


async def test_keys_move_the_cursor_and_keep_it_in_view() -> None:
    async with shown(*(f"{i:03d}" for i in range(100))) as (table, pilot):
        await pilot.press("down", "down", "up")
        assert table.cursor_row == 1
        await pilot.press("pagedown")  # a page: the rows in view less one
        assert table.cursor_row == 1 + 18
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert table.cursor_row == 1 + 3 * 18
        assert table.scroll_offset.y <= table.cursor_row < table.scroll_offset.y + 19
        await pilot.press("pageup", "home")
        assert (table.cursor_row, table.scroll_offset.y) == (0, 0)
        await pilot.press("up")
        assert table.cursor_row == 0
        assert the_app(table).highlighted[:3] == ["000", "001", "002"]


async def test_enter_and_a_click_select_a_row_and_a_header_click_its_column() -> None:
    async with shown("a", "b", "c") as (table, pilot):
        await pilot.press("enter")
        await pilot.click(Counting, offset=(3, 3))  # line 3: the third row
        await pilot.click(Counting, offset=(12, 0))  # "State" in the header
        await pilot.pause()
        assert the_app(table).selected == ["a", "c"]
        assert table.cursor_key == "c"
        assert the_app(table).headers == ["state"]


async def test_the_cursor_row_is_marked_not_only_coloured() -> None:
    async with shown("a", "b") as (table, pilot):
        await pilot.pause()
        assert [table.render_line(y).text[:1] for y in (1, 2)] == ["▸", " "]


async def test_rows_of_the_wrong_shape_are_refused() -> None:
    async with shown() as (table, _):
        with pytest.raises(ValueError, match="1 cells for 2 columns"):
            table.sync([("a", ("only one",))])
        with pytest.raises(ValueError, match="unique"):
            table.rebuild(rows("a", "a"))


def test_rows_given_again_as_the_same_objects_are_not_converted_again() -> None:
    kept = KeyedRows(["Name", "State"])
    row: Row = ("a", ("cam a", "✔ ok"))
    assert kept.store(row) == 2
    cells = kept.cells["a"]
    assert kept.store(row) == 0
    assert kept.cells["a"] is cells
    assert kept.store(("a", ("cam a", "✖ 1 critical"))) == 1


def test_widths_follow_the_rows_shown_and_a_click_finds_its_column() -> None:
    kept = KeyedRows(["Name", "State"])
    for row in rows("a", "bbbbbbbbbb"):
        kept.store(row)
    assert kept.lay_out(["a", "bbbbbbbbbb"]) and kept.widths == [14, 5]
    assert kept.lay_out(["a"]) and kept.widths == [5, 5]
    assert [kept.column_at(x) for x in (0, 6, 7, 13, 14)] == [0, 0, 1, 1, None]


async def test_extend_adds_after_the_last_and_leaves_cursor_and_scroll() -> None:
    async with shown(*(f"{i:03d}" for i in range(100))) as (table, pilot):
        await pilot.press("pagedown")
        await pilot.pause()
        cursor, scrolled = table.cursor_key, table.scroll_offset.y
        table.extend(rows(*(f"{i:03d}" for i in range(100, 300))))
        await pilot.pause()
        assert (table.row_count, table.keys[-1]) == (300, "299")
        assert (table.cursor_key, table.scroll_offset.y) == (cursor, scrolled)
        with pytest.raises(ValueError, match="unique"):
            table.extend(rows("150"))


async def test_extend_of_an_empty_table_puts_the_cursor_on_the_first_row() -> None:
    async with shown() as (table, pilot):
        table.extend(rows("a", "b"))
        await pilot.pause()
        assert table.cursor_key == "a"
        assert the_app(table).highlighted == ["a"]


async def test_extend_widens_a_column_for_a_wider_row_only() -> None:
    async with shown("a") as (table, pilot):
        table.extend([("b", ("b", "a much wider state"))])
        await pilot.pause()
        assert table.render_line(0).text.rstrip() == " Name   State"
        assert table.render_line(2).text.rstrip() == " b      a much wider state"


def test_append_measures_only_the_rows_added() -> None:
    kept = KeyedRows(["Name", "State"])
    for row in rows("a", "bbbbbbbbbb"):
        kept.store(row)
    kept.lay_out(["a"])
    assert kept.widths == [5, 5]
    assert kept.append(["bbbbbbbbbb"]) and kept.widths == [14, 5]
    assert kept.order == ["a", "bbbbbbbbbb"] and kept.index["bbbbbbbbbb"] == 1


def test_a_row_hidden_by_a_filter_is_kept_and_plain_strings_stay_strings() -> None:
    kept = KeyedRows(["Name", "State"])
    row: Row = ("a", ("cam a", "✔ ok\nsecond line"))
    kept.store(row)
    cells = kept.cells["a"]
    assert cells == ("cam a", "✔ ok")
    kept.lay_out([])  # a filter hides it
    assert kept.store(row) == 0 and kept.cells["a"] is cells


class Styled(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="table", styles={"name": "bold"})


async def test_plain_strings_are_drawn_in_their_columns_style_text_in_its_own() -> None:
    async with Styled().run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(KeyedTable)
        table.sync([("a", ("cam a", "✔ ok")), ("b", (Text("cam b", style="italic"), "✔ ok"))])
        await pilot.pause()
        assert table.get_cell("a", "name") == Text("cam a", style="bold")
        assert table.get_cell("a", "state") == Text("✔ ok")
        first, second = (table.render_line(y) for y in (1, 2))
        assert [s.style.bold for s in first if s.text == "cam a"] == [True]
        assert [(s.style.bold, s.style.italic) for s in second if s.text == "cam b"] == [
            (None, True)]


def test_styles_for_a_column_not_in_the_table_are_refused() -> None:
    with pytest.raises(ValueError, match="'nme'"):
        KeyedTable(COLUMNS, styles={"nme": "bold"})


@pytest.mark.parametrize(("cell", "width"), [
    pytest.param("abc", 3, id="ascii"),
    pytest.param("✔ ok", 4, id="symbol"),
    pytest.param("監視カメラ", 10, id="wide"),
    pytest.param(Text("日本 lobby"), 10, id="wide-text"),
    pytest.param("a\x1bb", 2, id="control"),
])
def test_a_cells_width_is_the_cells_it_takes_on_screen(cell: str | Text, width: int) -> None:
    kept = KeyedRows(["N"])
    kept.store(("a", (cell,)))
    kept.lay_out(["a"])
    assert kept.widths == [width]


async def test_rows_added_below_the_view_grow_the_scroll_bar_and_reach_the_end() -> None:
    async with shown(*(f"r{i:03d}" for i in range(30))) as (table, pilot):
        await pilot.pause()
        assert table.show_vertical_scrollbar
        table.extend(rows(*(f"r{i:03d}" for i in range(30, 130))))
        await pilot.pause()
        assert table.virtual_size.height == 131
        assert table.vertical_scrollbar.window_virtual_size == 131
        await pilot.press("end")
        assert table.cursor_key == "r129"
        assert table.scroll_offset.y == table.max_scroll_y == 131 - SIZE[1]
        assert table.render_line(SIZE[1] - 1).text.startswith("▸cam r129")


async def test_a_wider_page_lays_the_screen_out_only_when_a_scroll_bar_changes() -> None:
    async with shown(*(f"r{i:03d}" for i in range(30))) as (table, pilot):
        await pilot.pause()
        assert table.show_vertical_scrollbar and not table.show_horizontal_scrollbar
        layouts = table._layout_updates
        table.extend([(f"w{i}", (f"wider name {i}", "✔ ok")) for i in range(50)])
        await pilot.pause()
        assert table._layout_updates == layouts, "still fits: no lay-out of the screen"
        assert table.virtual_size == Size(table._rows.line_width, 81)
        assert table.render_line(0).text.rstrip() == " " + "Name".ljust(15) + "State"
        assert not table.show_horizontal_scrollbar
        table.extend([("x", ("x" * 2 * SIZE[0], "✔ ok"))])
        await pilot.pause()
        assert table._layout_updates > layouts, "too wide: the horizontal bar appears"
        assert table.show_horizontal_scrollbar
        assert table.horizontal_scrollbar.window_virtual_size == table._rows.line_width


class Made(KeyedTable):
    """Made rows: counts which rows' cells were made."""

    def __init__(self) -> None:
        super().__init__(COLUMNS, id="table", make=self.cells_for)
        self.made: list[str] = []
        self.state = "✔ ok"

    def cells_for(self, key: str) -> tuple[str, str]:
        self.made.append(key)
        return (f"cam {key}", self.state)


class MadeApp(App[None]):
    CSS = "#table { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield Made()


def made_widths(*keys: str) -> tuple[int, int]:
    return (max(len(f"cam {key}") for key in keys), len("✔ ok"))


async def test_made_rows_make_cells_only_for_the_lines_drawn() -> None:
    keys = [f"{i:05d}" for i in range(5000)]
    async with MadeApp().run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(Made)
        table.show(keys[:200], made_widths(*keys[:200]))
        table.extend_keys(keys[200:], made_widths(*keys[200:]))
        await pilot.pause()
        assert table.row_count == 5000
        assert set(table.made) == set(keys[:19]), "a screenful of 19 rows"
        assert table.render_line(1).text.startswith("▸cam 00000  ✔ ok")
        await pilot.press("end")
        await pilot.pause()
        assert set(table.made) == set(keys[:19]) | set(keys[-19:])


async def test_made_rows_are_shown_by_key_in_the_widths_given() -> None:
    async with MadeApp().run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(Made)
        table.show(["a", "b", "c"], made_widths("a", "b", "c"))
        await pilot.press("down")
        table.show(["c", "b"], (20, 4))  # a filter: the cursor follows its row
        assert (table.keys, table.cursor_key) == (["c", "b"], "b")
        assert table.render_line(0).text.rstrip() == " " + "Name".ljust(22) + "State"
        table.state = "✖ 1 critical"
        table.upsert_key("b", (5, len("✖ 1 critical")))  # changed: drawn again, wider
        assert table.get_cell("b", "state").plain == "✖ 1 critical"
        assert "✖ 1 critical" in table.render_line(2).text
        table.upsert_key("z", (5, 4))  # new: at the end
        assert table.drop("c") and table.keys == ["b", "z"]
        with pytest.raises(ValueError, match="keys and widths"):
            table.rebuild(rows("a"))
