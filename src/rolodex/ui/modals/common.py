"""Small reusable dialogs: pick one option, confirm, show a message; the form base."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from rolodex.crm.errors import RolodexError
from rolodex.i18n import _
from rolodex.ui.base import FLOW, Dialog, in_thread
from rolodex.ui.text import shown
from rolodex.ui.widgets.footer import KeyFooter

T = TypeVar("T")


def as_content(text: str | Content) -> Content:
    return text if isinstance(text, Content) else shown(text)


class FormDialog(Dialog[T], Generic[T]):
    """A form: the SAVE_BUTTON button, ctrl+s and Enter in an input run ``action_save``;
    any other button closes it with None. A form that handles Enter itself calls
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

    def save_in_worker(self, save: Callable[[], T]) -> None:
        """Run ``save`` off the UI thread; close with its result, or show its error in #error."""
        self._save(save)

    def _save(self, save: Callable[[], T]) -> None:
        self.run_worker(self._saving(save), exclusive=True, group="form-save", name=FLOW)

    async def _saving(self, save: Callable[[], T]) -> None:
        try:
            result = await in_thread(self, save)
        except RolodexError as exc:
            self.show_error(exc)
            return
        self.dismiss(result)

    def show_error(self, error: Exception) -> None:
        self.query_one("#error", Static).update(shown(str(error)))


class ChoiceDialog(Dialog[str | None]):
    """Pick one of several options; returns the option id, or None."""

    def __init__(
        self,
        title: str | Content,
        options: Sequence[tuple[str, str | Content]],
        message: str | Content | None = None,
        current: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = as_content(title)
        self.options = options
        self.message = message
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            if self.message is not None:
                yield Static(as_content(self.message), classes="dialog-message")
            yield OptionList(
                *[Option(as_content(prompt), id=option_id) for option_id, prompt in self.options],
                id="choices",
            )
            yield Label(_("Enter to choose · Esc to cancel"), classes="dialog-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        ids = [option_id for option_id, _prompt in self.options]
        if self.current in ids:
            choices.highlighted = ids.index(self.current)
        else:
            choices.highlighted = 0 if self.options else None
        choices.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_id)


class ConfirmDialog(Dialog[bool]):
    """Yes or no; returns True when confirmed. Opens on the safe answer (Cancel); ←/→
    move between the buttons, y confirms."""

    CANCEL_RESULT = False
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="confirm.cancel"),
        Binding("y", "confirm", _("Yes"), id="confirm.yes"),
        Binding("left", "app.focus_previous", _("Previous button"), show=False, id="confirm.left"),
        Binding("right", "app.focus_next", _("Next button"), show=False, id="confirm.right"),
    ]

    def __init__(self, title: str | Content, message: str | Content, confirm: str) -> None:
        super().__init__()
        self.title_text = as_content(title)
        self.message = as_content(message)
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm_label, id="yes", variant="error")
                yield Button(_("Cancel"), id="no")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")


class MessageDialog(Dialog[None]):
    def __init__(self, title: str | Content, body: str | Content) -> None:
        super().__init__()
        self.title_text = as_content(title)
        self.body = as_content(body)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body, classes="dialog-message")
            yield Button(_("Close"), id="close", variant="primary")
        yield KeyFooter()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
