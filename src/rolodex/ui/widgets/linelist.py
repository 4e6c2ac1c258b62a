"""A list drawn on Textual's Line API: items of one or more lines, one highlighted, only
the visible lines rendered. One widget replaces a column of OptionLists (the record
view's cards and timeline), so opening a record builds few widgets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rolodex.i18n import _


@dataclass(frozen=True)
class Item:
    """One entry: ``key`` names it in messages; ``lines`` are already safe Content.
    ``selectable`` False: a heading or a note the cursor passes over."""

    key: str
    lines: tuple[Content, ...]
    selectable: bool = True
    style: str = ""  # a component class for the whole item ("heading", "muted")
    data: object = field(default=None, compare=False)


class LineList(ScrollView, can_focus=True):
    """Items with a cursor; Enter (or a click) posts ``Selected``, moving posts ``Highlighted``."""

    DEFAULT_CSS = """
    LineList { height: 1fr; background: $surface; }
    LineList > .line-list--cursor { background: $block-cursor-blurred-background; }
    LineList:focus > .line-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    LineList > .line-list--heading { text-style: bold; color: $secondary; }
    LineList > .line-list--muted { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "line-list--cursor",
        "line-list--heading",
        "line-list--muted",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", _("Up"), show=False, id="list.up"),
        Binding("down", "cursor_down", _("Down"), show=False, id="list.down"),
        Binding("pageup", "page_up", _("Page up"), show=False, id="list.page_up"),
        Binding("pagedown", "page_down", _("Page down"), show=False, id="list.page_down"),
        Binding("home", "first", _("First"), show=False, id="list.first"),
        Binding("end", "last", _("Last"), show=False, id="list.last"),
        Binding("enter", "select", _("Open"), show=False, id="list.select"),
    ]

    cursor: reactive[int | None] = reactive(None, init=False)

    class Selected(Message):
        def __init__(self, line_list: LineList, item: Item) -> None:
            super().__init__()
            self.line_list = line_list
            self.item = item

        @property
        def control(self) -> LineList:
            return self.line_list

    class Highlighted(Message):
        def __init__(self, line_list: LineList, item: Item) -> None:
            super().__init__()
            self.line_list = line_list
            self.item = item

        @property
        def control(self) -> LineList:
            return self.line_list

    def __init__(
        self,
        items: Sequence[Item] = (),
        *,
        id: str | None = None,
        classes: str | None = None,
        highlight_first: bool = True,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.items: list[Item] = []
        self._starts: list[int] = []
        self._line_count = 0
        self.highlight_first = highlight_first
        self.set_items(items)

    # ------------------------------------------------------------------ content

    def set_items(self, items: Sequence[Item], *, keep: str | None = None) -> None:
        """Show ``items``; the cursor goes to the item keyed ``keep`` (or the same key as
        before, else the same place)."""
        previous = self.highlighted_item
        self.items = list(items)
        self._starts = []
        line = 0
        for item in self.items:
            self._starts.append(line)
            line += len(item.lines)
        self._line_count = line
        self.virtual_size = Size(self.virtual_size.width, line)
        wanted = keep if keep is not None else (previous.key if previous else None)
        index = next((i for i, it in enumerate(self.items) if it.key == wanted), None)
        if index is None or not self.items[index].selectable:
            if previous is None and not self.highlight_first:
                index = None
            else:
                old = self.cursor if self.cursor is not None else 0
                index = self._selectable_from(min(old, len(self.items) - 1), +1)
                if index is None:
                    index = self._selectable_from(min(old, len(self.items) - 1), -1)
        self.set_reactive(LineList.cursor, index)
        self.refresh()

    @property
    def highlighted_item(self) -> Item | None:
        if self.cursor is None or not 0 <= self.cursor < len(self.items):
            return None
        return self.items[self.cursor]

    def item(self, key: str) -> Item | None:
        return next((it for it in self.items if it.key == key), None)

    def _selectable_from(self, start: int, step: int) -> int | None:
        index = start
        while 0 <= index < len(self.items):
            if self.items[index].selectable:
                return index
            index += step
        return None

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = self.scroll_offset.y + y
        base = self.rich_style
        if not 0 <= line < self._line_count:
            return Strip.blank(width, base)
        index = self._item_at(line)
        item = self.items[index]
        content = item.lines[line - self._starts[index]]
        classes = []
        if item.style:
            classes.append(f"line-list--{item.style}")
        if index == self.cursor:
            classes.append("line-list--cursor")
        style = self.get_visual_style(*classes) if classes else self.get_visual_style()
        prefix = self.line_prefix(index, line - self._starts[index], style.rich_style)
        room = width - sum(segment.cell_length for segment in prefix)
        rendered = content.truncate(room, ellipsis=True, pad=True)
        segments = [*prefix, *rendered.render_segments(style)]
        return Strip(segments or [Segment(" " * width, base)], width).crop(
            self.scroll_offset.x, self.scroll_offset.x + width
        )

    def line_prefix(self, index: int, line: int, style: Style) -> list[Segment]:
        """Cells drawn before line ``line`` of item ``index`` (none here; a tick box in
        ``PickList``); ``style`` is the line's own."""
        return []

    def _item_at(self, line: int) -> int:
        low, high = 0, len(self._starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._starts[middle] <= line:
                low = middle
            else:
                high = middle - 1
        return low

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._line_count

    # ------------------------------------------------------------------ cursor

    def watch_cursor(self, old: int | None, new: int | None) -> None:
        self.refresh()
        if new is None:
            return
        self._show_item(new)
        self.post_message(self.Highlighted(self, self.items[new]))

    def _show_item(self, index: int) -> None:
        if not self.size.height:  # not laid out yet: scroll once it is
            self.call_after_refresh(self._show_item_now)
            return
        self._show_item_now()

    def _show_item_now(self) -> None:
        index = self.cursor
        if index is None or index >= len(self._starts):
            return
        top = self._starts[index]
        # The line above (a card's heading) stays in view with the first item under it.
        top = max(top - 1, 0) if index and not self.items[index - 1].selectable else top
        region = Region(0, top, 1, self._starts[index] - top + len(self.items[index].lines))
        self.scroll_to_region(region, animate=False, immediate=True, force=True)

    def _move(self, step: int, count: int = 1) -> None:
        if not self.items:
            return
        index = self.cursor if self.cursor is not None else (-1 if step > 0 else len(self.items))
        target = index
        for _i in range(count):
            found = self._selectable_from(target + step, step)
            if found is None:
                break
            target = found
        if target != index and 0 <= target < len(self.items):
            self.cursor = target

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_cursor_down(self) -> None:
        self._move(+1)

    def action_page_up(self) -> None:
        self._move(-1, max(1, self.scrollable_content_region.height // 2))

    def action_page_down(self) -> None:
        self._move(+1, max(1, self.scrollable_content_region.height // 2))

    def action_first(self) -> None:
        found = self._selectable_from(0, +1)
        if found is not None:
            self.cursor = found

    def action_last(self) -> None:
        found = self._selectable_from(len(self.items) - 1, -1)
        if found is not None:
            self.cursor = found

    def action_select(self) -> None:
        item = self.highlighted_item
        if item is not None and item.selectable:
            self.post_message(self.Selected(self, item))

    def clicked_item(self, event: events.Click) -> int | None:
        """The index of the selectable item under a click, if any."""
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        line = self.scroll_offset.y + offset.y
        if not 0 <= line < self._line_count:
            return None
        index = self._item_at(line)
        return index if self.items[index].selectable else None

    def on_click(self, event: events.Click) -> None:
        index = self.clicked_item(event)
        if index is None:
            return
        if self.cursor == index:
            self.action_select()
        else:
            self.cursor = index
