"""A table of any number of rows on Textual's Line API: only visible lines are drawn, and
rows come from a source that reads them by page as the person scrolls (the index holds
a few pages, not the list). The header stays on top; the cursor is a cell."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rolodex.i18n import _

GAP = 2  # cells between columns


@dataclass
class Column:
    key: str
    title: Content
    width: int
    align: str = "left"  # "left" | "right"


class TableSource(Protocol):
    def cells(self, row: int) -> Sequence[Content] | None:
        """The row's cells in column order, or None while it is being read."""

    def is_selected(self, row: int) -> bool:
        """Whether the row is ticked (drawn with a mark and its own colour)."""


class VirtualTable(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; background: $surface; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--cursor-row { background: $boost; }
    VirtualTable > .virtual-table--cursor { background: $block-cursor-blurred-background; }
    VirtualTable:focus > .virtual-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    VirtualTable > .virtual-table--placeholder { color: $text-muted; }
    VirtualTable > .virtual-table--selected { background: $accent 25%; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor-row",
        "virtual-table--cursor",
        "virtual-table--placeholder",
        "virtual-table--selected",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", _("Up"), show=False, id="table.cursor_up"),
        Binding("down", "cursor_down", _("Down"), show=False, id="table.cursor_down"),
        Binding("left", "cursor_left", _("Left"), show=False, id="table.cursor_left"),
        Binding("right", "cursor_right", _("Right"), show=False, id="table.cursor_right"),
        Binding("pageup", "page_up", _("Page up"), show=False, id="table.page_up"),
        Binding("pagedown", "page_down", _("Page down"), show=False, id="table.page_down"),
        Binding("home,ctrl+home", "first", _("First row"), show=False, id="table.first"),
        Binding("end,ctrl+end", "last", _("Last row"), show=False, id="table.last"),
        Binding("enter", "select", _("Open"), show=False, id="table.select"),
    ]

    cursor_row: reactive[int] = reactive(0, init=False)
    cursor_column: reactive[int] = reactive(0, init=False)

    class CellSelected(Message):
        """Enter (or a click on the cursor) on a cell."""

        def __init__(self, table: VirtualTable, row: int, column: str) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.column = column

        @property
        def control(self) -> VirtualTable:
            return self.table

    class CursorMoved(Message):
        """The cursor moved to another cell."""

        def __init__(self, table: VirtualTable, row: int, column: str) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.column = column

        @property
        def control(self) -> VirtualTable:
            return self.table

    class RowsWanted(Message):
        """Rows ``first``..``last`` are on screen (or about to be) but not held."""

        def __init__(self, table: VirtualTable, first: int, last: int) -> None:
            super().__init__()
            self.table = table
            self.first = first
            self.last = last

    def __init__(self, source: TableSource, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.columns: list[Column] = []
        self.row_count = 0

    # ------------------------------------------------------------------ shape

    def set_shape(self, columns: list[Column], row_count: int) -> None:
        self.columns = columns
        self.set_row_count(row_count)
        if self.cursor_column >= len(columns):
            self.set_reactive(VirtualTable.cursor_column, max(len(columns) - 1, 0))
        self.refresh()

    def set_row_count(self, row_count: int) -> None:
        self.row_count = row_count
        width = sum(c.width for c in self.columns) + GAP * max(len(self.columns) - 1, 0) + 2
        self.virtual_size = Size(width, row_count + 1)  # + the header
        if self.cursor_row >= row_count:
            self.set_reactive(VirtualTable.cursor_row, max(row_count - 1, 0))
        self.refresh()

    @property
    def page_height(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def visible_rows(self) -> range:
        top = int(self.scroll_offset.y)
        return range(top, min(top + self.page_height, self.row_count))

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._line(
                [c.title for c in self.columns], self.get_visual_style("virtual-table--header"), -1
            ).crop(int(self.scroll_offset.x), int(self.scroll_offset.x) + width)
        row = int(self.scroll_offset.y) + y - 1
        if row >= self.row_count:
            return Strip.blank(width, self.rich_style)
        cells = self.source.cells(row)
        if cells is None:
            self._want(row)
            style = self.get_visual_style("virtual-table--placeholder")
            cells = [Content("…")] + [Content("")] * (len(self.columns) - 1)
        else:
            style = (
                self.get_visual_style("virtual-table--cursor-row")
                if row == self.cursor_row
                else self.get_visual_style()
            )
        ticked = self.source.is_selected(row)
        if ticked:
            style = style + self.get_visual_style("virtual-table--selected")
        cursor = self.cursor_column if row == self.cursor_row else -1
        strip = self._line(list(cells), style, cursor, mark="✓" if ticked else " ")
        return strip.crop(int(self.scroll_offset.x), int(self.scroll_offset.x) + width)

    def _line(self, cells: list[Content], style, cursor: int, mark: str = " ") -> Strip:  # type: ignore[no-untyped-def]
        # The first cell marks a ticked row (seen without colour too).
        segments: list[Segment] = [Segment(mark, style.rich_style)]
        cursor_style = self.get_visual_style("virtual-table--cursor")
        total = 1
        for index, column in enumerate(self.columns):
            content = cells[index] if index < len(cells) else Content("")
            fitted = content.truncate(column.width, ellipsis=True)
            if column.align == "right":
                fitted = fitted.pad_left(column.width - fitted.cell_length)
            fitted = fitted.truncate(column.width, pad=True)
            segments += fitted.render_segments(cursor_style if index == cursor else style)
            total += column.width
            if index < len(self.columns) - 1:
                segments.append(Segment(" " * GAP, style.rich_style))
                total += GAP
        line_width = max(total + 1, self.virtual_size.width, self.scrollable_content_region.width)
        segments.append(Segment(" " * (line_width - total), style.rich_style))
        return Strip(segments, line_width)

    _wanted: tuple[int, int] | None = None

    def _want(self, row: int) -> None:
        rows = self.visible_rows()
        first, last = min(row, rows.start), max(row, rows.stop - 1)
        if self._wanted == (first, last):
            return
        self._wanted = (first, last)
        self.post_message(self.RowsWanted(self, first, last))

    def rows_arrived(self) -> None:
        """The source holds new rows: draw them."""
        self._wanted = None
        self.refresh()

    # ------------------------------------------------------------------ cursor

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self._moved()

    def watch_cursor_column(self, old: int, new: int) -> None:
        self._scroll_to_column()
        self.refresh()
        self._moved()

    def _moved(self) -> None:
        if self.columns and self.row_count:
            self.post_message(
                self.CursorMoved(self, self.cursor_row, self.columns[self.cursor_column].key)
            )

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + self.page_height:
            self.scroll_to(y=self.cursor_row - self.page_height + 1, animate=False, immediate=True)

    def _scroll_to_column(self) -> None:
        start = 1 + sum(c.width + GAP for c in self.columns[: self.cursor_column])
        width = self.columns[self.cursor_column].width if self.columns else 0
        region = Region(start, int(self.scroll_offset.y), width, 1)
        self.scroll_to_region(region, animate=False, immediate=True)

    def move_to(self, row: int, column: int | None = None) -> None:
        self.cursor_row = max(0, min(row, self.row_count - 1))
        if column is not None:
            self.cursor_column = max(0, min(column, len(self.columns) - 1))

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor_row + 1)

    def action_cursor_left(self) -> None:
        self.cursor_column = max(0, self.cursor_column - 1)

    def action_cursor_right(self) -> None:
        self.cursor_column = min(len(self.columns) - 1, self.cursor_column + 1)

    def action_page_up(self) -> None:
        step = self.page_height
        self.scroll_to(y=max(0, int(self.scroll_offset.y) - step), animate=False, immediate=True)
        self.move_to(self.cursor_row - step)

    def action_page_down(self) -> None:
        step = self.page_height
        top = min(int(self.scroll_offset.y) + step, max(self.row_count - step, 0))
        self.scroll_to(y=top, animate=False, immediate=True)
        self.move_to(self.cursor_row + step)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self.row_count - 1)

    def action_select(self) -> None:
        if self.row_count and self.columns and self.source.cells(self.cursor_row) is not None:
            self.post_message(
                self.CellSelected(self, self.cursor_row, self.columns[self.cursor_column].key)
            )

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        row = int(self.scroll_offset.y) + offset.y - 1
        x = int(self.scroll_offset.x) + offset.x - 1
        column = 0
        for index, col in enumerate(self.columns):
            if x < col.width + GAP:
                column = index
                break
            x -= col.width + GAP
        else:
            column = len(self.columns) - 1
        if row >= self.row_count:
            return
        if (row, column) == (self.cursor_row, self.cursor_column):
            self.action_select()
        else:
            self.move_to(row, column)
