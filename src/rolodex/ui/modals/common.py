"""Small reusable dialogs: pick one option, confirm, show a message, pick a record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from rolodex.i18n import _
from rolodex.ui.db import run_db
from rolodex.ui.text import plain


class Dialog(ModalScreen):
    """Base: escape closes with None."""

    DEFAULT_CLASSES = "dialog"
    BINDINGS = [Binding("escape", "cancel", _("Close"), id="dialog.close")]

    def action_cancel(self) -> None:
        self.dismiss(None)


class FormDialog(Dialog):
    """A form: the SAVE_BUTTON button and Enter in an input run ``action_save``; any
    other button closes it with None. A form that handles Enter itself calls
    ``event.prevent_default()`` so this one does not run too."""

    SAVE_BUTTON: ClassVar[str] = "save"

    def action_save(self) -> None:
        raise NotImplementedError

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == self.SAVE_BUTTON:
            self.action_save()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def save_in_worker(self, save: Callable[[], object]) -> None:
        """Run ``save`` off the UI thread; close with its result, or show its error in #error."""
        run_db(self, save, self.dismiss, self.show_error)

    def show_error(self, error: Exception) -> None:
        self.query_one("#error", Static).update(plain(str(error)))


class ChoiceDialog(Dialog):
    """Pick one of several options; returns the option id, or None."""

    def __init__(
        self,
        title: str | Content,
        options: Sequence[tuple[str, str | Content]],
        message: str | Content | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            if self.message is not None:
                yield Static(self.message, classes="dialog-message", markup=False)
            yield OptionList(
                *[Option(prompt, id=option_id) for option_id, prompt in self.options],
                id="choices",
            )
            yield Label(_("Enter to choose · Esc to cancel"), classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_id)


class ConfirmDialog(Dialog):
    """Yes or no; returns True when confirmed."""

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="confirm.cancel"),
        Binding("y", "confirm", _("Yes"), id="confirm.yes"),
    ]

    def __init__(self, title: str | Content, message: str | Content, confirm: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.message, classes="dialog-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm_label, id="yes", variant="error")
                yield Button(_("Cancel"), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")


class MessageDialog(Dialog):
    def __init__(self, title: str | Content, body: str | Content) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.body, classes="dialog-message", markup=False)
            yield Button(_("Close"), id="close", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
