"""Text fields that keep to the display rule whatever gets into them: a value set by the
app, typed or pasted is held with control and bidi characters as visible stand-ins, so
not even pasted text can drive the terminal."""

from __future__ import annotations

import dataclasses

from textual.binding import Binding
from textual.widgets import Input, TextArea
from textual.widgets.text_area import Edit, EditResult

from rolodex.i18n import _
from rolodex.ui.text import single_line, visible


class SafeInput(Input):
    def validate_value(self, value: str) -> str:
        return single_line(value)


class SafeTextArea(TextArea):
    """Line breaks stay line breaks; every other unsafe character becomes a stand-in.
    ctrl+e opens the text in the person's editor."""

    BINDINGS = [Binding("ctrl+e", "edit_outside", _("Edit in $EDITOR"), id="field.editor")]

    def edit(self, edit: Edit) -> EditResult:
        if edit.text and visible(edit.text) != edit.text:
            edit = dataclasses.replace(edit, text=visible(edit.text))
        return super().edit(edit)

    def load_text(self, text: str) -> None:
        super().load_text(visible(text))

    def action_edit_outside(self) -> None:
        from rolodex.ui.editor import edit_text

        edited = edit_text(self.app, self.text)
        if edited is not None and edited != self.text:
            # Through edit(), so the change can be undone and stays safe to show.
            self.replace(edited, self.document.start, self.document.end)
        self.focus()
