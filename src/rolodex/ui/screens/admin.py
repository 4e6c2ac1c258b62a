"""Labels & limits (with the records near their limits and the domain exclusions), and
the recycle bin."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from rolodex.crm import domains, index, labels, lifecycle, limits, objects
from rolodex.crm.context import user
from rolodex.crm.errors import RolodexError
from rolodex.crm.labels import LabelInfo
from rolodex.crm.limits import LimitInfo, LimitUsage
from rolodex.crm.records import RecordView
from rolodex.i18n import _
from rolodex.ui.base import RolodexScreen, connected, flow, in_thread
from rolodex.ui.messages import DataChanged, OpenRecord
from rolodex.ui.modals.common import ConfirmDialog, FormDialog
from rolodex.ui.text import cell, shown, when
from rolodex.ui.widgets.footer import KeyFooter
from rolodex.ui.widgets.inputs import SafeInput


def type_options() -> list[tuple[Content, str]]:
    return [(shown(info.shown_singular), info.key) for info in index.index_types()] + [
        (shown(info.shown_singular), info.key) for info in objects.all_types() if info.is_activity
    ]


def _table(table_id: str, columns: tuple[tuple[str, str], ...], **options: Any) -> DataTable:
    """A row-cursor table with (title, key) columns."""
    table: DataTable = DataTable(id=table_id, cursor_type="row", **options)
    for title, key in columns:
        table.add_column(title, key=key)
    return table


def _current_key(table: DataTable) -> str | None:
    if not table.row_count:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


class AdminRead(Message):
    def __init__(self, payload: Any) -> None:
        super().__init__()
        self.payload = payload


class LabelsScreen(RolodexScreen):
    BINDINGS = [
        Binding("escape", "back", _("Back"), id="labels.back"),
        Binding("n", "new_label", _("New label"), id="labels.new"),
        Binding("l", "set_limit", _("Set limit"), id="labels.limit"),
        Binding("e", "edit_label", _("Edit label"), id="labels.edit"),
        Binding("delete", "delete_label", _("Delete label"), id="labels.delete"),
        Binding("x", "exclude_domain", _("Exclude a domain"), id="labels.exclude"),
        Binding("r", "refresh", _("Refresh"), id="labels.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.labels: dict[str, LabelInfo] = {}
        self.usage: dict[str, LimitUsage] = {}
        self.excluded: list[str] = []

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
        yield Label(
            _("Records near or over their limit (Enter opens one)"), classes="section-title"
        )
        yield _table(
            "usage-table",
            ((_("Record"), "name"), (_("REF"), "ref"), (_("Limit"), "limit"), (_("Used"), "used")),
        )
        yield Label(
            _("Domains never matched to a company (x adds, Delete removes)"),
            classes="section-title",
        )
        yield _table("domains-table", ((_("Domain"), "domain"),))
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#labels-table").focus()
        self.refresh_data()

    def refresh_from_database(self) -> None:
        self.refresh_data()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def refresh_data(self) -> None:
        self.post_message(
            AdminRead(
                connected(
                    lambda: (
                        labels.list_labels(),
                        limits.list_limits(),
                        limits.usage_report(),
                        sorted(domains.exclusions()),
                    )
                )
            )
        )

    @on(AdminRead)
    def show(self, message: AdminRead) -> None:
        label_rows, limit_rows, usage_rows, excluded = message.payload
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
        self.usage = {}
        for number, use in enumerate(usage_rows):
            key = f"{number}:{use.record_id}"
            self.usage[key] = use
            ut.add_row(
                cell(use.name),
                cell(f"{use.record_type}:{use.record_id}", "dim"),
                cell(
                    "{f} → {t} {label}".format(
                        f=use.limit.from_type, t=use.limit.to_type, label=use.limit.label or ""
                    )
                ),
                cell(f"{use.used}/{use.limit.max_count}", "bold red" if use.over else "yellow"),
                key=key,
            )
        dt = self.query_one("#domains-table", DataTable)
        dt.clear()
        self.excluded = list(excluded)
        for domain in excluded:
            dt.add_row(cell(domain), key=domain)
        self.mark_ready()

    @on(DataTable.RowSelected, "#usage-table")
    def open_usage(self, event: DataTable.RowSelected) -> None:
        event.stop()
        use = self.usage.get(event.row_key.value or "")
        if use is not None:
            self.post_message(OpenRecord(use.record_id))

    def action_refresh(self) -> None:
        self.refresh_data()

    @flow("labels-flow")
    async def action_new_label(self) -> None:
        if await self.app.push_screen_wait(NewLabelDialog()) is not None:
            self._changed()

    @flow("labels-flow")
    async def action_set_limit(self) -> None:
        if await self.app.push_screen_wait(SetLimitDialog()) is not None:
            self._changed()

    def _current_label(self) -> LabelInfo | None:
        return self.labels.get(_current_key(self.query_one("#labels-table", DataTable)) or "")

    @flow("labels-flow")
    async def action_edit_label(self) -> None:
        info = self._current_label()
        if info is not None and await self.app.push_screen_wait(NewLabelDialog(info)) is not None:
            self._changed()

    @flow("labels-flow")
    async def action_delete_label(self) -> None:
        if self.focused is self.query_one("#domains-table"):
            domain = _current_key(self.query_one("#domains-table", DataTable))
            if domain and await self._attempt(lambda: domains.remove_exclusions([domain])):
                self.notify(_("{domain} is matched again").format(domain=domain))
                self._changed()
            return
        info = self._current_label()
        if info is None:
            return
        confirmed = await self.app.push_screen_wait(
            ConfirmDialog(
                _("Delete label"),
                _("Delete the label '{name}'?").format(name=info.name),
                _("Delete"),
            )
        )
        if confirmed and await self._attempt(
            lambda: labels.delete(info.from_type, info.to_type, info.name)
        ):
            self.notify(_("Label deleted"))
            self._changed()

    @flow("labels-flow")
    async def action_exclude_domain(self) -> None:
        domain = await self.app.push_screen_wait(ExcludeDomainDialog())
        if domain:
            self.notify(_("{domain} is never matched to a company now").format(domain=domain))
            self._changed()

    async def _attempt(self, write) -> bool:  # type: ignore[no-untyped-def]
        try:
            await in_thread(self, write)
        except RolodexError as exc:
            self.notify(str(exc), severity="error")
            return False
        return True

    def _changed(self) -> None:
        self.post_message(DataChanged())
        self.refresh_data()

    def action_back(self) -> None:
        self.app.pop_screen()


class NewLabelDialog(FormDialog[LabelInfo]):
    """Create a label (for ``pair`` when given: from the associate or labels dialog), or
    with ``editing`` rename one (its objects stay)."""

    SAVE_BUTTON = "create"
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="newlabel.cancel"),
        Binding("ctrl+s", "save", _("Save"), id="newlabel.save"),
    ]

    def __init__(
        self, editing: LabelInfo | None = None, pair: tuple[str, str] | None = None
    ) -> None:
        super().__init__()
        self.editing = editing
        self.pair = pair

    def compose(self) -> ComposeResult:
        options = type_options()
        editing = self.editing
        from_type, to_type = (
            (editing.from_type, editing.to_type) if editing else self.pair or ("contact", "company")
        )
        fixed = editing is not None or self.pair is not None
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
                    value=from_type,
                    allow_blank=False,
                    id="from",
                    compact=True,
                    disabled=fixed,
                )
                yield Select(
                    options,
                    value=to_type,
                    allow_blank=False,
                    id="to",
                    compact=True,
                    disabled=fixed,
                )
            yield Label(_("Label"))
            yield SafeInput(editing.name if editing else "", id="name")
            yield Label(_("Inverse (empty for a single label)"))
            yield SafeInput((editing.inverse or "") if editing else "", id="inverse")
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save") if editing else _("Create"), id="create", variant="primary")
                yield Button(_("Cancel"), id="cancel")
        yield KeyFooter()

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


LIMIT_WORDS = {"one": _("one"), "many": _("many")}


class SetLimitDialog(FormDialog[LimitInfo]):
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
                _(
                    "How many TO records one FROM record may have (a number, '{one}' or '{many}')."
                ).format(one=LIMIT_WORDS["one"], many=LIMIT_WORDS["many"]),
                classes="dialog-message",
            )
            with Horizontal(classes="form-row"):
                yield Select(options, value="contact", allow_blank=False, id="from", compact=True)
                yield Select(options, value="company", allow_blank=False, id="to", compact=True)
            yield Label(_("At most"))
            yield SafeInput(placeholder=LIMIT_WORDS["many"], id="max")
            yield Label(_("Only for the label (optional)"))
            yield SafeInput(id="label")
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Set"), id="set", variant="primary")
                yield Button(_("Cancel"), id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#max", Input).focus()

    def action_save(self) -> None:
        from_type = str(self.query_one("#from", Select).value)
        to_type = str(self.query_one("#to", Select).value)
        text = self.query_one("#max", Input).value.strip() or "many"
        # The words in the person's language mean the same as the English ones.
        for word, local in LIMIT_WORDS.items():
            if text.casefold() == local.casefold():
                text = word
        label = self.query_one("#label", Input).value.strip() or None

        def save() -> LimitInfo:
            return limits.set_limit(from_type, to_type, limits.parse_max(text), label)

        self.save_in_worker(save)


class ExcludeDomainDialog(FormDialog[str]):
    """A domain whose contacts are never matched to a company by their email."""

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="exclude.cancel"),
        Binding("ctrl+s", "save", _("Exclude"), id="exclude.save"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(_("Exclude a domain from matching"), classes="dialog-title")
            yield Static(
                _(
                    "Contacts with an email at this domain are never associated with a company "
                    "by their domain (free-mail domains never are)."
                ),
                classes="dialog-message",
            )
            yield SafeInput(placeholder=_("example.com"), id="domain")
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Exclude"), id="save", variant="primary")
                yield Button(_("Cancel"), id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#domain", Input).focus()

    def action_save(self) -> None:
        text = self.query_one("#domain", Input).value

        def save() -> str:
            added = domains.add_exclusions([text])
            return added[0] if added else objects.normalise_domain(text)

        self.save_in_worker(save)


class BinRead(Message):
    def __init__(self, views: list[RecordView]) -> None:
        super().__init__()
        self.views = views


class RecycleBinScreen(RolodexScreen):
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
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.refresh_data()

    def refresh_from_database(self) -> None:
        self.refresh_data()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def refresh_data(self) -> None:
        self.post_message(BinRead(connected(lifecycle.recycle_bin)))

    @on(BinRead)
    def show(self, message: BinRead) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.items = {}
        for view in message.views:
            self.items[str(view.id)] = view
            table.add_row(
                cell(view.label),
                cell(view.ref, "dim"),
                cell(when(view.deleted_at)),
                key=str(view.id),
            )
        if not message.views:
            table.add_row(
                cell(_("The recycle bin is empty"), "dim"), cell(""), cell(""), key="none"
            )
        self.mark_ready()

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_restore()

    @flow("bin-restore")
    async def action_restore(self) -> None:
        view = self.items.get(_current_key(self.query_one(DataTable)) or "")
        if view is None:
            return
        try:
            restored = await in_thread(self, lambda: lifecycle.restore(view.id, user()))
        except RolodexError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(_("Restored {name}").format(name=restored.label))
        self.post_message(DataChanged())
        self.refresh_data()

    def action_back(self) -> None:
        self.app.pop_screen()
