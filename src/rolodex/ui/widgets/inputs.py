"""Text fields that keep to the display rule whatever gets into them: a value set by the
app, typed or pasted is held with control and bidi characters as visible stand-ins, so
not even pasted text can drive the terminal."""

from __future__ import annotations

import dataclasses

from textual.widgets import Input, TextArea
from textual.widgets.text_area import Edit, EditResult

from rolodex.ui.text import single_line, visible


class SafeInput(Input):
    def validate_value(self, value: str) -> str:
        return single_line(value)


class SafeTextArea(TextArea):
    """Line breaks stay line breaks; every other unsafe character becomes a stand-in."""

    def edit(self, edit: Edit) -> EditResult:
        if edit.text and visible(edit.text) != edit.text:
            edit = dataclasses.replace(edit, text=visible(edit.text))
        return super().edit(edit)

    def load_text(self, text: str) -> None:
        super().load_text(visible(text))
