"""Dialogs of the record view: log an activity, edit labels, resolve a save conflict, merge."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from rolodex.crm import search
from rolodex.crm.records import RecordView
from rolodex.i18n import _
from rolodex.ui.db import run_db
from rolodex.ui.labelpick import LabelChoice
from rolodex.ui.modals.associate import hit_prompt
from rolodex.ui.modals.common import Dialog, FormDialog
from rolodex.ui.text import cell, plain, visible


class LogActivityDialog(FormDialog):
    """Subject and body of a note, email or call; returns the values or None."""

    SAVE_BUTTON = "log"

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="log.cancel"),
        Binding("ctrl+s", "save", _("Log"), id="log.save"),
    ]

    def __init__(self, activity: str, activity_label: str, record_label: str) -> None:
        super().__init__()
        self.activity = activity
        self.activity_label = activity_label
        self.record_label = record_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(
                plain(
                    _("Log {activity} on {name}").format(
                        activity=self.activity_label.lower(), name=self.record_label
                    )
                ),
                classes="dialog-title",
            )
            yield Label(_("Subject"))
            yield Input(id="subject")
            yield Label(_("Body"))
            yield Input(id="body")
            yield Static(
                _("It is also associated with this record's primary company and open deals."),
                classes="muted",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Log"), id="log", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#subject", Input).focus()

    def action_save(self) -> None:
        subject = self.query_one("#subject", Input).value
        body = self.query_one("#body", Input).value
        if not subject.strip() and not body.strip():
            self.notify(_("Write a subject or a body"), severity="warning")
            return
        self.dismiss({"subject": subject, "body": body})

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # not FormDialog's: Enter in the subject goes to the body
        if event.input.id == "subject":
            self.query_one("#body", Input).focus()
        else:
            self.action_save()


class EditLabelsDialog(FormDialog):
    """Tick the labels of one association; returns the crm words or None."""

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="labels.cancel"),
        Binding("ctrl+s", "save", _("Save"), id="labels.save"),
    ]

    def __init__(self, title: str, choices: list[LabelChoice], current: tuple[str, ...]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = {w.casefold() for w in current}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(plain(self.title_text), classes="dialog-title")
            if self.choices:
                yield SelectionList[str](
                    *[
                        Selection(c.prompt(), c.word, c.shown.casefold() in self.current)
                        for c in self.choices
                    ],
                    id="labels",
                )
            else:
                yield Static(
                    _("No labels are defined for these objects. Create them in Labels & limits."),
                    classes="muted",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), id="save", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def action_save(self) -> None:
        if not self.choices:
            self.dismiss(None)
            return
        self.dismiss(list(self.query_one("#labels", SelectionList).selected))


class ConflictDialog(Dialog):
    """Someone saved first: show both values per field; returns "mine", "theirs" or None."""

    def __init__(self, labels: dict[str, str], mine: dict[str, str], theirs: dict[str, str]):
        super().__init__()
        self.labels = labels
        self.mine = mine
        self.theirs = theirs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(_("Someone else saved this record first"), classes="dialog-title")
            yield Static(
                _("Choose which values to keep. Fields you did not change keep their new value."),
                classes="dialog-message",
            )
            table: DataTable = DataTable(id="conflict", cursor_type="none", zebra_stripes=True)
            table.add_column(_("Field"), key="field")
            table.add_column(_("Yours"), key="mine")
            table.add_column(_("Saved by the other person"), key="theirs")
            for key, value in self.mine.items():
                table.add_row(
                    cell(self.labels.get(key, key)), cell(value), cell(self.theirs.get(key, ""))
                )
            yield table
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Keep mine"), id="mine", variant="primary")
                yield Button(_("Use theirs"), id="theirs")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id)


class PickRecordDialog(Dialog):
    """Search records of one object and pick one; returns its id or None (merge, jump)."""

    def __init__(self, title: str, type_key: str, exclude: int | None = None, hint: str = ""):
        super().__init__()
        self.title_text = title
        self.type_key = type_key
        self.exclude = exclude
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(plain(self.title_text), classes="dialog-title")
            if self.hint:
                yield Static(plain(self.hint), classes="dialog-message")
            yield Input(placeholder=_("Type a name, email or domain"), id="pick-search")
            yield OptionList(id="pick-results")

    def on_mount(self) -> None:
        self.query_one("#pick-search", Input).focus()

    @on(Input.Changed, "#pick-search")
    def changed(self, event: Input.Changed) -> None:
        text, type_key, exclude = event.value, self.type_key, self.exclude

        def find() -> list[search.Hit]:
            return search.search(text, [type_key], limit=30, exclude=[exclude] if exclude else [])

        run_db(self, find, self._show, group="pick", exclusive=True)

    def _show(self, hits: list[search.Hit]) -> None:
        results = self.query_one("#pick-results", OptionList)
        results.clear_options()
        results.add_options(
            [Option(hit_prompt(h.name, h.ref, h.detail), id=str(h.id)) for h in hits]
        )

    @on(Input.Submitted, "#pick-search")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one("#pick-results", OptionList)
        if results.option_count:
            results.focus()
            results.highlighted = 0

    @on(OptionList.OptionSelected, "#pick-results")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id:
            self.dismiss(int(event.option_id))


def merge_hint(record: RecordView) -> str:
    return _(
        "{name} ({ref}) is kept. The record you pick is merged into it: its associations "
        "move here and its id keeps working."
    ).format(name=visible(record.label), ref=record.ref)
