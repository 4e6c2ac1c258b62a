"""The key footer: one widget drawing the focused screen's (or dialog's) keys as one line.

Textual's footer is a widget per key, rebuilt (and restyled) on every focus change; that
was a good part of the cost of opening a record. This one renders a single Content and
only when the keys it shows change. Keys that do not fit are left out from the end,
except the ones marked essential (help and quit), which always stay."""

from __future__ import annotations

from textual import events
from textual.app import RenderResult
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget

from rolodex.ui.text import single_line
from rolodex.ui.textual_words import textual_words

# Binding ids that stay visible whatever the width.
ESSENTIAL = ("app.help", "dialog.help", "app.quit")


class KeyFooter(Widget):
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    KeyFooter > .key-footer--key { color: $footer-key-foreground; text-style: bold; }
    KeyFooter > .key-footer--disabled { color: $text-disabled; }
    """
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--disabled"}

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple = ()
        # (start cell, end cell, action, node) of each key drawn, for clicks.
        self._hits: list[tuple[int, int, str, object]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _keys(self, screen: Screen) -> tuple:
        seen = set()
        keys = []
        words = textual_words()
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if not binding.show or not binding.description:
                continue
            if (binding.action, binding.description) in seen:
                continue
            seen.add((binding.action, binding.description))
            keys.append(
                (
                    self.app.get_key_display(binding),
                    words.get(binding.description, binding.description),
                    enabled,
                    binding.action,
                    binding.id or "",
                    _node,
                )
            )
        return tuple(keys)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is not self.screen:
            return
        keys = self._keys(screen)
        if keys != self._shown:
            self._shown = keys
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self.refresh()

    def render(self) -> RenderResult:
        width = self.size.width
        keys = list(self._shown)
        essential = [k for k in keys if k[4] in ESSENTIAL]
        others = [k for k in keys if k[4] not in ESSENTIAL]

        key_style = self.get_visual_style("key-footer--key")
        disabled = self.get_visual_style("key-footer--disabled")

        def piece(key: tuple) -> Content:
            display, description, enabled, *_rest = key
            return Content.assemble(
                (f" {single_line(display)} ", key_style if enabled else disabled),
                (f"{single_line(description)} ", "" if enabled else disabled),
            )

        chosen: list[tuple] = []
        used = sum(piece(k).cell_length for k in essential)
        for key in others:
            length = piece(key).cell_length
            if used + length > width:
                break
            chosen.append(key)
            used += length
        self._hits = []
        content = Content("")
        for key in chosen + essential:
            part = piece(key)
            start = content.cell_length
            content = content + part
            self._hits.append((start, content.cell_length, key[3], key[5]))
        return content

    async def on_click(self, event: events.Click) -> None:
        for start, end, action, node in self._hits:
            if start <= event.x < end:
                await self.app.run_action(action, node)  # type: ignore[arg-type]
                return
