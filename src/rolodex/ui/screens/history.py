"""A record's association history, one association's full history, and the "as of" view."""

from __future__ import annotations

import datetime as dt
from functools import partial

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from rolodex.crm import history, moments, objects, undo
from rolodex.crm.context import user
from rolodex.crm.errors import InvalidValue, RolodexError
from rolodex.crm.history import HistoryEntry, PastAssociation
from rolodex.crm.records import RecordView
from rolodex.i18n import _, ngettext
from rolodex.ui.base import Dialog, RolodexScreen, connected, flow, in_thread
from rolodex.ui.messages import DataChanged
from rolodex.ui.text import cell, shown, template, when
from rolodex.ui.widgets.footer import KeyFooter
from rolodex.ui.widgets.inputs import SafeInput


class HistoryRead(Message):
    def __init__(self, entries: list[HistoryEntry], reset: bool) -> None:
        super().__init__()
        self.entries = entries
        self.reset = reset


class PairRead(Message):
    def __init__(self, entries: list[HistoryEntry]) -> None:
        super().__init__()
        self.entries = entries


class PastRead(Message):
    def __init__(self, moment: dt.datetime, rows: list[PastAssociation]) -> None:
        super().__init__()
        self.moment = moment
        self.rows = rows


PAGE = 200


def entry_cells(entry: HistoryEntry) -> tuple:
    detail = ", ".join(entry.labels)
    if entry.primary:
        detail = (
            (_("Primary") + (" · " + detail if detail else ""))
            if entry.action != "removed"
            else detail
        )
    action = history.action_words(entry)
    if entry.undoes is not None:
        action = _("{action} (undo of #{id})").format(action=action, id=entry.undoes)
    return (
        cell(entry.other_name or entry.other_ref),
        cell(entry.other_ref, "dim"),
        cell(action),
        cell(when(entry.at)),
        cell(entry.source_display),
        cell(detail),
    )


def add_history_columns(table: DataTable, name_width: int = 18) -> None:
    table.add_column(_("Name"), key="name", width=name_width)
    table.add_column(_("REF"), key="ref")
    table.add_column(_("Change"), key="action")
    table.add_column(_("Date and time"), key="at")
    table.add_column(_("Source"), key="source")
    table.add_column(_("Labels"), key="labels")


class HistoryScreen(RolodexScreen):
    BINDINGS = [
        Binding("escape", "back", _("Back"), id="history.back"),
        Binding("enter", "open_pair", _("Association history"), id="history.pair", show=False),
        Binding("y", "copy_ref", _("Copy REF"), id="history.copy_ref"),
        Binding("t", "as_of", _("As of…"), id="history.as_of"),
        Binding("f", "focus_filter", _("Filter"), id="history.filter"),
        Binding("u", "undo", _("Undo this change"), id="history.undo", show=False),
    ]

    def __init__(self, record: RecordView) -> None:
        super().__init__()
        self.record = record
        self.entries: dict[str, HistoryEntry] = {}
        self.oldest: int | None = None
        self.more = False
        self.reading = False
        self.object_filter: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            template(
                "[b]$title[/b]  [dim]$ref[/dim]",
                title=_("Association history of {name}").format(name=self.record.label),
                ref=self.record.ref,
            ),
            id="history-header",
        )
        options = [(shown(_("All objects and activities")), "*")] + [
            (shown(info.shown_plural), info.key) for info in objects.all_types()
        ]
        with Horizontal(id="history-bar"):
            yield Label(_("Show"), classes="bar-label")
            yield Select(options, value="*", allow_blank=False, id="history-filter", compact=True)
        table: DataTable = DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        # Names get what a wide terminal has to spare beyond the other columns.
        add_history_columns(table, max(18, min(60, self.app.size.width - 100)))
        yield table
        yield Static("", id="history-status", classes="muted")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.load(reset=True)

    def refresh_from_database(self) -> None:
        """Someone committed a change: the newest entries appear at the top."""
        if not self.reading:
            self.load(reset=True)

    def load(self, *, reset: bool) -> None:
        self.reading = True
        self._read(self.record.id, self.object_filter, None if reset else self.oldest, reset)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _read(
        self, record_id: int, object_type: str | None, before: int | None, reset: bool
    ) -> None:
        entries = connected(
            lambda: history.record_history(record_id, object_type, limit=PAGE, before_id=before)
        )
        self.post_message(HistoryRead(entries, reset))

    @on(HistoryRead)
    def history_read(self, message: HistoryRead) -> None:
        entries = message.entries
        table = self.query_one(DataTable)
        if message.reset:
            table.clear()
            self.entries = {}
        for entry in entries:
            key = str(entry.id)
            if key in self.entries:
                continue
            self.entries[key] = entry
            table.add_row(*entry_cells(entry), key=key)
        self.oldest = entries[-1].id if entries else self.oldest
        self.more = len(entries) == PAGE
        self.reading = False
        count = len(self.entries)
        self.query_one("#history-status", Static).update(
            ngettext(
                "{n} change, newest first · Enter: one association's history",
                "{n} changes, newest first · Enter: one association's history",
                count,
            ).format(n=count)
            if count
            else _("No association changes yet")
        )
        self.mark_ready()

    @on(Select.Changed, "#history-filter")
    def filter_changed(self, event: Select.Changed) -> None:
        value = event.value
        self.object_filter = None if value in ("*", Select.NULL) else str(value)
        self.load(reset=True)

    @on(DataTable.RowHighlighted)
    def near_end(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if self.more and not self.reading and event.cursor_row >= table.row_count - 20:
            self.load(reset=False)

    def _current(self) -> HistoryEntry | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.entries.get(key or "")

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_pair()

    def action_open_pair(self) -> None:
        entry = self._current()
        if entry is not None:
            self.app.push_screen(
                PairHistoryDialog(
                    self.record.id, entry.other_id, entry.other_name or entry.other_ref
                )
            )

    def action_copy_ref(self) -> None:
        entry = self._current()
        ref = entry.other_ref if entry else self.record.ref
        self.app.copy_to_clipboard(ref)
        self.notify(_("Copied {ref}").format(ref=ref))

    @flow("history-undo")
    async def action_undo(self) -> None:
        """Undo the change under the cursor: a new change that puts the association back."""
        entry = self._current()
        if entry is None:
            return
        try:
            await in_thread(self, partial(undo.undo, entry.id, user()))
        except RolodexError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(
            _("Undid #{id}: {name} is back as it was before that change").format(
                id=entry.id, name=entry.other_name or entry.other_ref
            )
        )
        self.post_message(DataChanged())

    def action_as_of(self) -> None:
        self.app.push_screen(AsOfDialog(self.record))

    def action_focus_filter(self) -> None:
        self.query_one("#history-filter", Select).focus()

    def action_back(self) -> None:
        self.app.pop_screen()


class PairHistoryDialog(Dialog[None]):
    """Every change of one association, newest first."""

    BINDINGS = [
        Binding("escape", "cancel", _("Close"), id="pair.close"),
        Binding("y", "copy_ref", _("Copy REF"), id="pair.copy_ref"),
    ]

    def __init__(self, record_id: int, other_id: int, other_name: str) -> None:
        super().__init__()
        self.record_id = record_id
        self.other_id = other_id
        self.other_name = other_name
        self.other_ref = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(
                shown(_("History of the association with {name}").format(name=self.other_name)),
                classes="dialog-title",
            )
            table: DataTable = DataTable(id="pair-table", cursor_type="row", zebra_stripes=True)
            add_history_columns(table)
            yield table
            yield Label(_("y: copy the REF · Esc: close"), classes="dialog-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._read(self.record_id, self.other_id)

    @work(thread=True, exit_on_error=False)
    def _read(self, record_id: int, other_id: int) -> None:
        self.post_message(PairRead(connected(lambda: history.pair_history(record_id, other_id))))

    @on(PairRead)
    def pair_read(self, message: PairRead) -> None:
        table = self.query_one(DataTable)
        for entry in message.entries:
            table.add_row(*entry_cells(entry), key=str(entry.id))
            self.other_ref = entry.other_ref

    def action_copy_ref(self) -> None:
        if self.other_ref:
            self.app.copy_to_clipboard(self.other_ref)
            self.notify(_("Copied {ref}").format(ref=self.other_ref))


class AsOfDialog(Dialog[None]):
    """The record's associations as they stood at a chosen moment, rebuilt from history."""

    def __init__(self, record: RecordView) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(
                shown(_("Associations of {name} as of…").format(name=self.record.label)),
                classes="dialog-title",
            )
            yield Static(shown(moments.help_text()), classes="muted")
            with Horizontal(classes="form-row"):
                yield SafeInput(placeholder=_("YYYY-MM-DD or YYYY-MM-DD HH:MM (UTC)"), id="moment")
                yield Button(_("Show"), id="show", variant="primary", compact=True)
            yield Static("", id="asof-status", classes="muted")
            table: DataTable = DataTable(id="asof-table", cursor_type="row", zebra_stripes=True)
            table.add_column(_("Name"), key="name", width=28)
            table.add_column(_("REF"), key="ref")
            table.add_column(_("Labels"), key="labels")
            yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#moment", Input).focus()

    @on(Input.Submitted, "#moment")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.show()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.show()

    def show(self) -> None:
        text = self.query_one("#moment", Input).value
        status = self.query_one("#asof-status", Static)
        try:
            moment = moments.parse_moment(text)
        except InvalidValue as exc:
            status.update(shown(str(exc)))
            return
        self._read(self.record.id, moment)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _read(self, record_id: int, moment: dt.datetime) -> None:
        self.post_message(PastRead(moment, connected(lambda: history.as_of(record_id, moment))))

    @on(PastRead)
    def past_read(self, message: PastRead) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for row in message.rows:
            labels = ", ".join(row.labels)
            if row.primary:
                labels = _("Primary") + (" · " + labels if labels else "")
            table.add_row(
                cell(row.other_name or row.other_ref), cell(row.other_ref, "dim"), cell(labels)
            )
        self.query_one("#asof-status", Static).update(
            shown(
                ngettext(
                    "{n} association at {moment}", "{n} associations at {moment}", len(message.rows)
                ).format(n=len(message.rows), moment=when(message.moment))
            )
        )
