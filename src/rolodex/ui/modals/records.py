"""Dialogs of the index: edit columns, a new record, the records behind a count."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from rolodex.crm import associations, new_records, objects
from rolodex.crm.associations import Associated
from rolodex.crm.context import user
from rolodex.crm.objects import ObjectInfo
from rolodex.crm.records import RecordView
from rolodex.crm.views import next_before
from rolodex.i18n import _, ngettext
from rolodex.ui.base import Dialog, connected
from rolodex.ui.modals.common import FormDialog
from rolodex.ui.text import shown
from rolodex.ui.widgets.cards import item_lines
from rolodex.ui.widgets.footer import KeyFooter
from rolodex.ui.widgets.form import PropertyForm
from rolodex.ui.widgets.linelist import Item, LineList


class EditColumnsDialog(FormDialog[list[str]]):
    """Which columns the index shows, in which order (after the name, always first)."""

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="columns.cancel"),
        Binding("ctrl+s", "save", _("Save"), id="columns.save"),
        Binding("shift+up,ctrl+up", "move(-1)", _("Move up"), id="columns.up"),
        Binding("shift+down,ctrl+down", "move(1)", _("Move down"), id="columns.down"),
    ]

    def __init__(self, info: ObjectInfo, choices: list[tuple[str, str]], current: list[str]):
        super().__init__()
        self.info = info
        self.titles = dict(choices)
        # Shown columns first, in their order; the others after, in the list's order.
        self.order = [key for key in current if key in self.titles]
        self.order += [key for key, _title in choices if key not in self.order]
        self.current = current

    def _selections(self, selected: set[str]) -> list[Selection[str]]:
        return [Selection(shown(self.titles[key]), key, key in selected) for key in self.order]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(
                shown(
                    _("Columns of the {plural} index").format(plural=self.info.shown_plural.lower())
                ),
                classes="dialog-title",
            )
            yield Static(_("Space shows or hides a column; shift+↑ and shift+↓ move it."))
            yield SelectionList[str](*self._selections(set(self.current)), id="columns")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), id="save", variant="primary")
                yield Button(_("Cancel"), id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        picks = self.query_one(SelectionList)
        picks.focus()
        picks.highlighted = 0

    def action_move(self, step: int) -> None:
        picks = self.query_one(SelectionList)
        at = picks.highlighted
        if at is None or not 0 <= at + step < len(self.order):
            return
        to = at + step
        self.order[at], self.order[to] = self.order[to], self.order[at]
        selected = set(picks.selected)
        picks.clear_options()
        picks.add_options(self._selections(selected))
        picks.highlighted = to

    def action_save(self) -> None:
        selected = set(self.query_one(SelectionList).selected)
        self.dismiss([key for key in self.order if key in selected])


class NewRecordDialog(FormDialog[RecordView]):
    SAVE_BUTTON = "create"
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="new.cancel"),
        Binding("ctrl+s", "save", _("Create"), id="new.save"),
    ]

    def __init__(self, info: ObjectInfo) -> None:
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(
                shown(_("New {object}").format(object=self.info.shown_singular.lower())),
                classes="dialog-title",
            )
            yield PropertyForm(self.info, id="new-form")
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Create"), id="create", variant="primary")
                yield Button(_("Cancel"), id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(PropertyForm).focus_first()

    def action_save(self) -> None:
        values = {k: v for k, v in self.query_one(PropertyForm).values().items() if v.strip()}
        if not values:
            self.query_one("#error", Static).update(_("Fill in at least one property"))
            return
        type_key = self.info.key
        self.save_in_worker(lambda: new_records.create(type_key, values, user()))


class AssociatedRead(Message):
    def __init__(self, total: int, items: list[Associated]) -> None:
        super().__init__()
        self.total = total
        self.items = items


class AssociatedListDialog(Dialog[int | None]):
    """The records of one object associated with a record; returns the one opened."""

    def __init__(self, record_id: int, record_name: str, type_key: str) -> None:
        super().__init__()
        self.record_id = record_id
        self.record_name = record_name
        self.type_key = type_key
        self.items: list[Associated] = []
        self.total = 0

    def compose(self) -> ComposeResult:
        info = objects.by_key(self.type_key)
        with Vertical(classes="dialog-box"):
            yield Label(
                shown(
                    _("{plural} associated with {name}").format(
                        plural=info.shown_plural, name=self.record_name
                    )
                ),
                classes="dialog-title",
            )
            yield LineList(id="associated")
            yield Label(_("Enter to open · Esc to close"), classes="dialog-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(LineList).focus()
        self.read_page(None)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def read_page(self, before: int | None) -> None:
        record_id, type_key = self.record_id, self.type_key
        total, items = connected(
            lambda: (
                associations.counts(record_id).get(type_key, 0),
                associations.page(record_id, type_key, before=before),
            )
        )
        self.post_message(AssociatedRead(total, items))

    def on_associated_read(self, message: AssociatedRead) -> None:
        total, items = message.total, message.items
        self.total = total
        known = {i.other_id for i in self.items}
        self.items += [i for i in items if i.other_id not in known]
        rows = [Item(str(i.other_id), item_lines(i)) for i in self.items]
        if len(self.items) < self.total:
            rest = self.total - len(self.items)
            rows.append(
                Item(
                    "more",
                    (shown(ngettext("Load {n} more", "Load {n} more", rest).format(n=rest)),),
                )
            )
        if not self.items:
            rows.append(Item("none", (shown(_("None")),), selectable=False, style="muted"))
        self.query_one(LineList).set_items(rows)

    @on(LineList.Selected)
    def chosen(self, event: LineList.Selected) -> None:
        event.stop()
        if event.item.key == "more":
            self.read_page(next_before(self.items))
        elif event.item.key.isdigit():
            self.dismiss(int(event.item.key))
