"""A list to tick items in, on the Line API: what Textual's SelectionList does, drawn by
one widget with headings and notes between the items (a dialog's results, what is
already associated and the recommendations in one list, not five widgets)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message

from rolodex.i18n import _
from rolodex.ui.widgets.linelist import Item, LineList

BOX_LEFT, BOX_MARK, BOX_RIGHT = "▐", "X", "▌"  # Textual's ToggleButton, as elsewhere


class PickList(LineList):
    """Selectable items get a tick box; Space, Enter or a click ticks or unticks one and
    posts ``Toggled``. A tick belongs to an item's ``data`` (its value): the same record
    listed twice (found, and recommended) is ticked once."""

    DEFAULT_CSS = """
    PickList { height: auto; }
    PickList > .pick-list--box { color: $panel-darken-2; background: $panel; }
    PickList > .pick-list--box-ticked { color: $text-success; background: $panel; }
    PickList:ansi > .pick-list--box {
        color: $ansi-background; background: $ansi-background; text-style: none;
    }
    PickList:ansi > .pick-list--box-ticked {
        color: ansi_bright_green; background: $ansi-background; text-style: bold;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *LineList.COMPONENT_CLASSES,
        "pick-list--box",
        "pick-list--box-ticked",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "tick_highlighted", _("Tick"), show=False, id="picklist.toggle"),
        Binding("enter", "tick_highlighted", _("Tick"), show=False, id="picklist.enter"),
    ]

    class Toggled(Message):
        def __init__(self, pick_list: PickList, item: Item, ticked: bool) -> None:
            super().__init__()
            self.pick_list = pick_list
            self.item = item
            self.ticked = ticked

        @property
        def control(self) -> PickList:
            return self.pick_list

    def __init__(
        self,
        items: Sequence[Item] = (),
        *,
        ticked: Iterable[Hashable] = (),
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        self.ticked: set[Hashable] = set(ticked)
        # No cursor until the list has the focus, as Textual's SelectionList.
        super().__init__(items, id=id, classes=classes, highlight_first=False)

    def on_focus(self) -> None:
        if self.cursor is None:
            self.action_first()

    @property
    def ticked_in_order(self) -> list[Hashable]:
        """The ticked values of the listed items, in list order."""
        seen: list[Hashable] = []
        for item in self.items:
            if item.selectable and item.data in self.ticked and item.data not in seen:
                seen.append(item.data)
        return seen

    def tick(self, value: Hashable, ticked: bool = True) -> None:
        """Tick (or untick) ``value`` from code; posts no message."""
        if ticked:
            self.ticked.add(value)
        else:
            self.ticked.discard(value)
        self.refresh()

    def action_tick_highlighted(self) -> None:
        item = self.highlighted_item
        if item is None or not item.selectable:
            return
        ticked = item.data not in self.ticked
        self.tick(item.data, ticked)
        self.post_message(self.Toggled(self, item, ticked))

    def on_click(self, event: events.Click) -> None:
        event.prevent_default()  # a click ticks, whether the item was highlighted or not
        index = self.clicked_item(event)
        if index is None:
            return
        self.cursor = index
        self.action_tick_highlighted()

    def line_prefix(self, index: int, line: int, style: Style) -> list[Segment]:
        item = self.items[index]
        if not item.selectable:
            return []
        if line:
            return [Segment("    ", style)]
        box = self.get_component_rich_style(
            "pick-list--box-ticked" if item.data in self.ticked else "pick-list--box"
        )
        side = Style.from_color(box.bgcolor, style.bgcolor)
        return [
            Segment(BOX_LEFT, side),
            Segment(BOX_MARK, box),
            Segment(BOX_RIGHT, side),
            Segment(" ", style),
        ]
