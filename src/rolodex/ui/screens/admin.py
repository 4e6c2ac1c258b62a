"""Labels & limits, and the recycle bin."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from rolodex.crm import index, labels, lifecycle, limits, objects
from rolodex.crm.context import user
from rolodex.crm.labels import LabelInfo
from rolodex.crm.limits import LimitInfo, LimitUsage
from rolodex.crm.records import RecordView
from rolodex.i18n import _
from rolodex.ui.db import run_db
from rolodex.ui.modals.common import ConfirmDialog, FormDialog
from rolodex.ui.text import cell, plain, visible, when
from rolodex.ui.widgets.footer import Footer


def type_options() -> list[tuple[Content, str]]:
    return [(plain(info.shown_singular), info.key) for info in index.index_types()] + [
        (plain(info.shown_singular), info.key) for info in objects.all_types() if info.is_activity
    ]


def _table(table_id: str, columns: tuple[tuple[str, str], ...], **options: Any) -> DataTable:
    """A row-cursor table with (title, key) columns."""
    table: DataTable = DataTable(id=table_id, cursor_type="row", **options)
    for title, key in columns:
        table.add_column(title, key=key)
    return table


class LabelsScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", _("Back"), id="labels.back"),
        Binding("n", "new_label", _("New label"), id="labels.new"),
        Binding("l", "set_limit", _("Set limit"), id="labels.limit"),
        Binding("e", "edit_label", _("Edit label"), id="labels.edit"),
        Binding("delete", "delete_label", _("Delete label"), id="labels.delete"),
        Binding("r", "refresh", _("Refresh"), id="labels.refresh", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(_("Labels & limits"), classes="screen-title")
        yield Label(_("Labels"), classes="section-title")
        yield _table(
            "labels-table",
            (
                (_("From"), "from"),
                (_("To"), "to"),
                (_("Label"), "name"),
                (_("Inverse"), "inverse"),
                (_("In use"), "in_use"),
            ),
            zebra_stripes=True,
        )
        yield Label(_("Limits"), classes="section-title")
        yield _table(
            "limits-table",
            ((_("From"), "from"), (_("To"), "to"), (_("Label"), "label"), (_("At most"), "max")),
        )
        yield Label(_("Records near or over their limit"), classes="section-title")
        yield _table(
            "usage-table",
            ((_("Record"), "name"), (_("REF"), "ref"), (_("Limit"), "limit"), (_("Used"), "used")),
        )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#labels-table").focus()
        self.refresh_data()

    def refresh_data(self) -> None:
        def read() -> tuple[list[LabelInfo], list[LimitInfo], list[LimitUsage]]:
            return labels.list_labels(), limits.list_limits(), limits.usage_report()

        def show(result: tuple[list[LabelInfo], list[LimitInfo], list[LimitUsage]]) -> None:
            label_rows, limit_rows, usage_rows = result
            table = self.query_one("#labels-table", DataTable)
            table.clear()
            for info in label_rows:
                table.add_row(
                    cell(info.from_type),
                    cell(info.to_type),
                    cell(info.name),
                    cell(info.inverse or _("(single)"), "" if info.inverse else "dim"),
                    cell(str(info.in_use)),
                    key=str(info.id),
                )
            self.labels = {str(i.id): i for i in label_rows}
            lt = self.query_one("#limits-table", DataTable)
            lt.clear()
            for limit in limit_rows:
                lt.add_row(
                    cell(limit.from_type),
                    cell(limit.to_type),
                    cell(limit.label or _("(any)")),
                    cell(str(limit.max_count) if limit.max_count is not None else _("many")),
                )
            ut = self.query_one("#usage-table", DataTable)
            ut.clear()
            for use in usage_rows:
                ut.add_row(
                    cell(use.name),
                    cell(f"{use.record_type}:{use.record_id}", "dim"),
                    cell(
                        "{f} → {t} {label}".format(
                            f=use.limit.from_type, t=use.limit.to_type, label=use.limit.label or ""
                        )
                    ),
                    cell(
                        f"{use.used}/{use.limit.max_count}",
                        "bold red" if use.over else "yellow",
                    ),
                )

        run_db(self, read, show)

    def action_refresh(self) -> None:
        self.refresh_data()

    def action_new_label(self) -> None:
        def done(created: LabelInfo | None) -> None:
            if created is not None:
                self.refresh_data()

        self.app.push_screen(NewLabelDialog(), done)

    def action_set_limit(self) -> None:
        def done(result: LimitInfo | None) -> None:
            if result is not None:
                self.refresh_data()

        self.app.push_screen(SetLimitDialog(), done)

    def _current_label(self) -> LabelInfo | None:
        table = self.query_one("#labels-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return getattr(self, "labels", {}).get(key)

    def action_edit_label(self) -> None:
        info = self._current_label()
        if info is None:
            return

        def done(saved: LabelInfo | None) -> None:
            if saved is not None:
                self.refresh_data()

        self.app.push_screen(NewLabelDialog(info), done)

    def action_delete_label(self) -> None:
        info = self._current_label()
        if info is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                run_db(
                    self,
                    lambda: labels.delete(info.from_type, info.to_type, info.name),
                    lambda _r: self._deleted(),
                )

        self.app.push_screen(
            ConfirmDialog(
                _("Delete label"),
                plain(_("Delete the label '{name}'?").format(name=info.name)),
                _("Delete"),
            ),
            confirmed,
        )

    def _deleted(self) -> None:
        self.app.notify(_("Label deleted"))
        self.refresh_data()

    def action_back(self) -> None:
        self.app.pop_screen()


class NewLabelDialog(FormDialog):
    """Create a label, or with ``editing`` rename one (its objects stay)."""

    SAVE_BUTTON = "create"

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="newlabel.cancel"),
        Binding("ctrl+s", "save", _("Save"), id="newlabel.save"),
    ]

    def __init__(self, editing: LabelInfo | None = None) -> None:
        super().__init__()
        self.editing = editing

    def compose(self) -> ComposeResult:
        options = type_options()
        editing = self.editing
        with Vertical(classes="dialog-box"):
            yield Label(
                _("Edit association label") if editing else _("New association label"),
                classes="dialog-title",
            )
            yield Static(
                _(
                    '"FROM is TO\'s LABEL". Give an inverse for a paired label (Manager / Employee).'
                ),
                classes="dialog-message",
            )
            with Horizontal(classes="form-row"):
                yield Select(
                    options,
                    value=editing.from_type if editing else "contact",
                    allow_blank=False,
                    id="from",
                    compact=True,
                    disabled=editing is not None,
                )
                yield Select(
                    options,
                    value=editing.to_type if editing else "company",
                    allow_blank=False,
                    id="to",
                    compact=True,
                    disabled=editing is not None,
                )
            yield Label(_("Label"))
            yield Input(editing.name if editing else "", id="name")
            yield Label(_("Inverse (empty for a single label)"))
            yield Input((editing.inverse or "") if editing else "", id="inverse")
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Create"), id="create", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def action_save(self) -> None:
        from_type = str(self.query_one("#from", Select).value)
        to_type = str(self.query_one("#to", Select).value)
        name = self.query_one("#name", Input).value
        inverse = self.query_one("#inverse", Input).value or None
        editing = self.editing
        self.save_in_worker(
            (lambda: labels.rename(editing.id, name, inverse))
            if editing is not None
            else (lambda: labels.create(from_type, to_type, name, inverse))
        )


class SetLimitDialog(FormDialog):
    SAVE_BUTTON = "set"
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="limit.cancel"),
        Binding("ctrl+s", "save", _("Set"), id="limit.save"),
    ]

    def compose(self) -> ComposeResult:
        options = type_options()
        with Vertical(classes="dialog-box"):
            yield Label(_("Association limit"), classes="dialog-title")
            yield Static(
                _("How many TO records one FROM record may have (a number, 'one' or 'many')."),
                classes="dialog-message",
            )
            with Horizontal(classes="form-row"):
                yield Select(options, value="contact", allow_blank=False, id="from", compact=True)
                yield Select(options, value="company", allow_blank=False, id="to", compact=True)
            yield Label(_("At most"))
            yield Input(placeholder="many", id="max")
            yield Label(_("Only for the label (optional)"))
            yield Input(id="label")
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Set"), id="set", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#max", Input).focus()

    def action_save(self) -> None:
        from_type = str(self.query_one("#from", Select).value)
        to_type = str(self.query_one("#to", Select).value)
        text = self.query_one("#max", Input).value or "many"
        label = self.query_one("#label", Input).value.strip() or None

        def save() -> LimitInfo:
            return limits.set_limit(from_type, to_type, limits.parse_max(text), label)

        self.save_in_worker(save)


class RecycleBinScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", _("Back"), id="bin.back"),
        Binding("r", "restore", _("Restore"), id="bin.restore"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, RecordView] = {}

    def compose(self) -> ComposeResult:
        yield Static(_("Recycle bin"), classes="screen-title")
        yield Static(
            _(
                "Deleted records stay here for 90 days. r or Enter restores one with its associations."
            ),
            classes="muted",
        )
        table: DataTable = DataTable(id="bin-table", cursor_type="row", zebra_stripes=True)
        table.add_column(_("Name"), key="name", width=30)
        table.add_column(_("REF"), key="ref")
        table.add_column(_("Deleted"), key="deleted")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.refresh_data()

    def refresh_data(self) -> None:
        def show(views: list[RecordView]) -> None:
            table = self.query_one(DataTable)
            table.clear()
            self.items = {}
            for view in views:
                self.items[str(view.id)] = view
                table.add_row(
                    cell(view.label),
                    cell(view.ref, "dim"),
                    cell(when(view.deleted_at)),
                    key=str(view.id),
                )
            if not views:
                table.add_row(
                    cell(_("The recycle bin is empty"), "dim"), cell(""), cell(""), key="none"
                )

        run_db(self, lifecycle.recycle_bin, show)

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_restore()

    def action_restore(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        view = self.items.get(key)
        if view is None:
            return

        def done(restored: RecordView) -> None:
            self.app.notify(visible(_("Restored {name}").format(name=restored.label)), markup=False)
            self.refresh_data()
            self.app.refresh_index()  # type: ignore[attr-defined]

        run_db(self, lambda: lifecycle.restore(view.id, user()), done)

    def action_back(self) -> None:
        self.app.pop_screen()
