"""Index pages: one object's records in a keyset-paged table."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    OptionList,
    SelectionList,
    Static,
)
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from rolodex.crm import associations, index, objects, records
from rolodex.crm.associations import Associated
from rolodex.crm.objects import ObjectInfo
from rolodex.crm.records import RecordView
from rolodex.i18n import _, data_text
from rolodex.ui.db import run_db
from rolodex.ui.modals.common import Dialog, FormDialog
from rolodex.ui.text import cell, plain, visible
from rolodex.ui.widgets.form import PropertyForm

SORT_LABELS = {
    "name": _("name A–Z"),
    "-name": _("name Z–A"),
    "-created": _("newest first"),
    "created": _("oldest first"),
}
SORT_CYCLE = ["name", "-name", "-created", "created"]
DEFAULT_COLUMNS = {
    "contact": ["prop:email", "primary", "assoc:company", "assoc:deal"],
    "company": ["prop:domain", "prop:city", "assoc:contact", "assoc:deal"],
    "deal": ["prop:stage", "prop:amount", "assoc:contact", "assoc:company"],
    "ticket": ["prop:status", "prop:priority", "assoc:contact"],
}
LOAD_AHEAD = 30


def default_columns(info: ObjectInfo) -> list[str]:
    if info.key in DEFAULT_COLUMNS:
        return list(DEFAULT_COLUMNS[info.key])
    props = [f"prop:{p.key}" for p in info.properties if p.key != info.display_property][:2]
    return props + ["assoc:contact", "assoc:company"]


def column_choices(info: ObjectInfo, types: list[ObjectInfo]) -> list[tuple[str, str]]:
    """(column key, title) of every column an index of ``info`` can show."""
    out = [(f"prop:{p.key}", data_text(p.label)) for p in info.properties]
    if info.has_primary_company:
        out.append(("primary", _("Primary company")))
    out += [
        (f"assoc:{t.key}", _("Associated {object}").format(object=t.plural.lower())) for t in types
    ]
    return out


@dataclass
class Loaded:
    page: index.IndexPage
    total: int | None


class IndexScreen(Screen):
    BINDINGS = [
        Binding("slash", "focus_filter", _("Filter"), id="index.filter"),
        Binding("s", "cycle_sort", _("Sort"), id="index.sort"),
        Binding("c", "edit_columns", _("Edit columns"), id="index.columns"),
        Binding("n", "new_record", _("New"), id="index.new"),
        Binding("r", "refresh", _("Refresh"), id="index.refresh", show=False),
    ]

    def __init__(self, type_key: str = "contact") -> None:
        super().__init__()
        self.type_key = type_key
        self.sort = "name"
        self.filter_text = ""
        self.after: tuple | None = None
        self.more = False
        self.loading = False
        self.rows: dict[str, index.IndexRow] = {}
        self.columns: list[str] = []
        self.total = 0
        self.types: list[ObjectInfo] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="index-tabs")
        with Horizontal(id="index-bar"):
            yield Static("", id="index-title")
            yield Input(placeholder=_("Filter: names starting with…"), id="filter", compact=True)
        yield DataTable(id="index-table", cursor_type="cell", zebra_stripes=True)
        yield Static("", id="empty")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#empty").display = False
        # At once: a deferred focus() could land after a key the person already typed.
        self.set_focus(self.query_one(DataTable))
        self.show_type(self.type_key)

    # ------------------------------------------------------------------ state

    @property
    def info(self) -> ObjectInfo:
        return objects.by_key(self.type_key)

    def show_type(self, type_key: str) -> None:
        self.type_key = type_key
        self.filter_text = ""
        filter_input = self.query_one("#filter", Input)
        with filter_input.prevent(Input.Changed):
            filter_input.value = ""
        self.load(reset=True)

    def _settings_columns(self) -> list[str]:
        settings = getattr(self.app, "settings", None)
        saved = settings.columns.get(self.type_key) if settings is not None else None
        return list(saved) if saved is not None else default_columns(self.info)

    def load(self, *, reset: bool) -> None:
        if not reset and (self.loading or not self.more):
            return
        self.loading = True
        type_key, sort, text = self.type_key, self.sort, self.filter_text
        columns = self._settings_columns() if reset else self.columns
        after = None if reset else self.after
        assoc = [c.removeprefix("assoc:") for c in columns if c.startswith("assoc:")]
        wants_primary = "primary" in columns

        def read() -> tuple[Loaded, list[ObjectInfo]]:
            page = index.page(
                type_key,
                sort=sort,
                after=after,
                filter_text=text,
                associated=assoc,
                primary_company=wants_primary,
            )
            total = index.total(type_key, text) if reset else None
            return Loaded(page, total), index.index_types()

        def show(result: tuple[Loaded, list[ObjectInfo]]) -> None:
            loaded, types = result
            self.types = types
            self.loading = False
            table = self.query_one(DataTable)
            if reset:
                self.columns = columns
                self.rows = {}
                self.total = loaded.total or 0
                table.clear(columns=True)
                self._add_columns(table)
                self._show_tabs()
            for row in loaded.page.rows:
                key = str(row.id)
                if key in self.rows:
                    continue
                self.rows[key] = row
                table.add_row(*self._cells(row), key=key)
            self.after = loaded.page.after
            self.more = loaded.page.after is not None
            self._show_title()
            empty = reset and self.total == 0 and not self.filter_text
            self.query_one("#empty").display = empty
            table.display = not empty
            if empty:
                self._show_empty()

        run_db(self, read, show, group="index", exclusive=True)

    def refresh_from_database(self) -> None:
        """Someone committed a change: re-read the rows on show, keeping cursor and scroll."""
        if self.loading or not self.columns:
            return
        type_key, sort, text, columns = self.type_key, self.sort, self.filter_text, self.columns
        count = max(len(self.rows), index.PAGE_SIZE)
        assoc = [c.removeprefix("assoc:") for c in columns if c.startswith("assoc:")]
        wants_primary = "primary" in columns

        def read() -> tuple[index.IndexPage, int]:
            page = index.page(
                type_key,
                sort=sort,
                filter_text=text,
                associated=assoc,
                primary_company=wants_primary,
                limit=count,
            )
            return page, index.total(type_key, text)

        def show(result: tuple[index.IndexPage, int]) -> None:
            if (type_key, sort, text, columns) != (
                self.type_key,
                self.sort,
                self.filter_text,
                self.columns,
            ):
                return  # the person moved on meanwhile
            page, total = result
            table = self.query_one(DataTable)
            row, column = table.cursor_coordinate
            keys = list(self.rows)
            current = keys[row] if 0 <= row < len(keys) else None
            scroll_x, scroll_y = table.scroll_x, table.scroll_y
            table.clear()
            self.rows = {}
            for item in page.rows:
                self.rows[str(item.id)] = item
                table.add_row(*self._cells(item), key=str(item.id))
            keys = list(self.rows)
            if keys:
                target = keys.index(current) if current in self.rows else min(row, len(keys) - 1)
                table.move_cursor(row=target, column=column, scroll=False)
            table.scroll_to(scroll_x, scroll_y, animate=False, immediate=True)
            self.after, self.more, self.total = page.after, page.after is not None, total
            self._show_title()

        run_db(self, read, show, group="index-refresh", exclusive=True)

    def _column_title(self, key: str) -> str:
        choices = dict(column_choices(self.info, self.types or index.index_types()))
        return choices.get(key, key)

    def _add_columns(self, table: DataTable) -> None:
        table.add_column(_("Name"), key="name", width=28)
        for key in self.columns:
            table.add_column(cell(self._column_title(key)), key=key)

    def _cells(self, row: index.IndexRow) -> list:
        out = [cell(row.name or row.ref)]
        for key in self.columns:
            if key.startswith("prop:"):
                out.append(cell(row.properties.get(key[5:], "")))
            elif key.startswith("assoc:"):
                n = row.counts.get(key[6:], 0)
                out.append(cell(str(n), "underline" if n else "dim"))
            elif key == "primary":
                out.append(cell(row.primary_company[1] if row.primary_company else ""))
            else:
                out.append(cell(""))
        return out

    def _show_tabs(self) -> None:
        parts = []
        for number, info in enumerate(self.types[:9], start=1):
            style = "reverse b" if info.key == self.type_key else "dim"
            parts.append(
                Content.from_markup(f"[{style}] $n $name [/] ", n=str(number), name=info.plural)
            )
        self.query_one("#index-tabs", Static).update(Content("").join(parts))

    def _show_title(self) -> None:
        title = Content.from_markup(
            "[b]$plural[/b] [dim]· $count · $sort[/dim]",
            plural=self.info.plural,
            count=_("{n} records").format(n=f"{self.total:,}"),
            sort=_("sorted by {sort}").format(sort=SORT_LABELS[self.sort]),
        )
        self.query_one("#index-title", Static).update(title)
        self.sub_title = self.info.plural

    def _show_empty(self) -> None:
        plural = self.info.plural.lower()
        text = Content.from_markup(
            "[b]$headline[/b]\n\n$add\n$import_\n$demo\n\n$more",
            headline=_("No {plural} yet").format(plural=plural),
            add=_("• Press n to add one here."),
            import_=_("• Import CSV files: press F5 (or run rolodex import FILE.csv)."),
            demo=_("• Explore the demo data: rolodex --demo"),
            more=_("Press 1–9 to switch objects, ctrl+p for commands, F1 for help."),
        )
        self.query_one("#empty", Static).update(text)

    # ------------------------------------------------------------------ events

    @on(DataTable.CellHighlighted)
    def near_end(self, event: DataTable.CellHighlighted) -> None:
        if self.more and event.coordinate.row >= event.data_table.row_count - LOAD_AHEAD:
            self.load(reset=False)

    @on(DataTable.CellSelected)
    def cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        row = self.rows.get(event.cell_key.row_key.value or "")
        if row is None:
            return
        column = str(event.cell_key.column_key.value)
        if column.startswith("assoc:"):
            type_key = column[6:]
            self.app.push_screen(
                AssociatedListDialog(row.id, row.name or row.ref, type_key),
                lambda chosen: self.app.open_record(chosen) if chosen else None,  # type: ignore[attr-defined]
            )
        elif column == "primary" and row.primary_company:
            self.app.open_record(row.primary_company[0])  # type: ignore[attr-defined]
        else:
            self.app.open_record(row.id)  # type: ignore[attr-defined]

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.load(reset=True)

    @on(Input.Submitted, "#filter")
    def filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        # Move to the table only after this Enter is fully handled, so the same key
        # press does not also open the row under the cursor.
        self.set_timer(0.05, self.query_one(DataTable).focus)

    def action_focus_filter(self) -> None:
        # At once, not via focus() (deferred): keys typed right after "/" belong to the filter.
        self.set_focus(self.query_one("#filter", Input))

    def action_cycle_sort(self) -> None:
        self.sort = SORT_CYCLE[(SORT_CYCLE.index(self.sort) + 1) % len(SORT_CYCLE)]
        self.load(reset=True)

    def action_refresh(self) -> None:
        self.load(reset=True)

    def action_edit_columns(self) -> None:
        info = self.info
        choices = column_choices(info, self.types or index.index_types())

        def chosen(columns: list[str] | None) -> None:
            if columns is None:
                return
            settings = getattr(self.app, "settings", None)
            if settings is not None:
                settings.columns[self.type_key] = columns
                problem = settings.save()
                if problem:
                    self.app.notify(problem, severity="warning", markup=False)
            self.load(reset=True)

        self.app.push_screen(EditColumnsDialog(info, choices, self.columns), chosen)

    def action_new_record(self) -> None:
        def created(view: RecordView | None) -> None:
            if view is not None:
                self.load(reset=True)
                self.app.open_record(view.id)  # type: ignore[attr-defined]

        self.app.push_screen(NewRecordDialog(self.info), created)


class EditColumnsDialog(FormDialog):
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="columns.cancel"),
        Binding("ctrl+s", "save", _("Save"), id="columns.save"),
    ]

    def __init__(self, info: ObjectInfo, choices: list[tuple[str, str]], current: list[str]):
        super().__init__()
        self.info = info
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(
                plain(_("Columns of the {plural} index").format(plural=self.info.plural.lower())),
                classes="dialog-title",
            )
            yield SelectionList[str](
                *[Selection(plain(title), key, key in self.current) for key, title in self.choices],
                id="columns",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), id="save", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def action_save(self) -> None:
        selected = set(self.query_one(SelectionList).selected)
        # Columns already shown keep their place; new ones follow in the list's order.
        ordered = [c for c in self.current if c in selected]
        ordered += [key for key, _title in self.choices if key in selected and key not in ordered]
        self.dismiss(ordered)


class NewRecordDialog(FormDialog):
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
                plain(_("New {object}").format(object=self.info.singular.lower())),
                classes="dialog-title",
            )
            yield PropertyForm(self.info, id="new-form")
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Create"), id="create", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one(PropertyForm).focus_first()

    def action_save(self) -> None:
        values = {k: v for k, v in self.query_one(PropertyForm).values().items() if v.strip()}
        if not values:
            self.query_one("#error", Static).update(_("Fill in at least one property"))
            return
        type_key = self.info.key
        run_db(
            self,
            lambda: records.create(type_key, values),
            self.dismiss,
            lambda error: self.query_one("#error", Static).update(plain(str(error))),
        )

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()


class AssociatedListDialog(Dialog):
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
                plain(
                    _("{plural} associated with {name}").format(
                        plural=info.plural, name=visible(self.record_name)
                    )
                ),
                classes="dialog-title",
            )
            yield OptionList(id="associated")
            yield Label(_("Enter to open · Esc to close"), classes="dialog-hint")

    def on_mount(self) -> None:
        record_id, type_key = self.record_id, self.type_key

        def first() -> tuple[int, list[Associated]]:
            return (
                associations.counts(record_id).get(type_key, 0),
                associations.page(record_id, type_key),
            )

        def show(result: tuple[int, list[Associated]]) -> None:
            self.total, items = result
            self._extend(items)
            self.query_one(OptionList).focus()

        run_db(self, first, show)

    def _extend(self, items: list[Associated]) -> None:
        from rolodex.ui.screens.record import item_prompt

        known = {i.other_id for i in self.items}
        self.items += [i for i in items if i.other_id not in known]
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        option_list.add_options([Option(item_prompt(i), id=str(i.other_id)) for i in self.items])
        if len(self.items) < self.total:
            option_list.add_option(
                Option(
                    plain(_("Load more ({n} more)").format(n=self.total - len(self.items))),
                    id="more",
                )
            )
        if not self.items:
            option_list.add_option(Option(_("None"), id="none", disabled=True))

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id == "more":
            record_id, type_key = self.record_id, self.type_key
            from rolodex.ui.screens.record import next_before

            before = next_before(self.items)
            run_db(
                self,
                lambda: associations.page(record_id, type_key, before=before),
                self._extend,
            )
        elif event.option_id and event.option_id.isdigit():
            self.dismiss(int(event.option_id))
