"""Tab names with the active one underlined, drawn by one widget (styled as Textual's Tabs).

What a dialog needs of Textual's Tabs (names, an underline, a click to switch) without
its widget per tab, its animated underline and its deferred activation, which cost the
Associate dialog two extra frames each time it opened."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from rolodex.ui.text import shown

GAP = 1  # cells on each side of a name


class TabStrip(Widget, can_focus=False):
    """``tabs`` are (key, name); ``active`` the key shown. A click on a name posts
    ``Clicked``; the owner decides what switching means (and sets ``active``)."""

    DEFAULT_CSS = """
    TabStrip { height: 2; width: 1fr; }
    TabStrip > .tab-strip--name { color: $foreground 50%; }
    TabStrip > .tab-strip--active { color: $foreground; }
    TabStrip > .tab-strip--rule { color: $foreground 10%; }
    TabStrip > .tab-strip--rule-active { color: $block-cursor-background; }
    TabStrip:ansi > .tab-strip--name { text-style: dim; }
    TabStrip:ansi > .tab-strip--active { text-style: not dim bold; }
    TabStrip:ansi > .tab-strip--rule { color: $border-blurred; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "tab-strip--name",
        "tab-strip--active",
        "tab-strip--rule",
        "tab-strip--rule-active",
    }

    active: reactive[str] = reactive("", init=False)

    class Clicked(Message):
        def __init__(self, strip: TabStrip, key: str) -> None:
            super().__init__()
            self.strip = strip
            self.key = key

        @property
        def control(self) -> TabStrip:
            return self.strip

    def __init__(self, tabs: Sequence[tuple[str, str]], active: str, *, id: str | None = None):
        super().__init__(id=id)
        self.tabs = list(tabs)
        self.set_reactive(TabStrip.active, active)

    def spans(self) -> list[tuple[str, int, int]]:
        """(key, first cell, end cell) of each tab's name and its gaps."""
        spans, x = [], 0
        for key, name in self.tabs:
            width = shown(name).cell_length + 2 * GAP
            spans.append((key, x, x + width))
            x += width
        return spans

    def render(self) -> Content:
        names: list[Content] = []
        rule: list[Content] = []
        spans = self.spans()
        for (key, name), (_key, start, end) in zip(self.tabs, spans, strict=True):
            active = key == self.active
            style = self.get_visual_style("tab-strip--active" if active else "tab-strip--name")
            names.append(Content(" " * GAP) + shown(name).stylize(style) + Content(" " * GAP))
            rule_style = self.get_visual_style(
                "tab-strip--rule-active" if active else "tab-strip--rule"
            )
            rule.append(Content("━" * (end - start)).stylize(rule_style))
        used = spans[-1][2] if spans else 0
        rest = max(0, self.size.width - used)
        rule.append(Content("━" * rest).stylize(self.get_visual_style("tab-strip--rule")))
        return Content("\n").join([Content("").join(names), Content("").join(rule)])

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for key, start, end in self.spans():
            if start <= offset.x < end:
                self.post_message(self.Clicked(self, key))
                return
